class Solution {
    public int climbStairs(int n) {
        long before = 1, current = 1;
        for (int i = 1; i < n; i++) { long next = before + current; before = current; current = next; }
        return (int) current;
    }
}
