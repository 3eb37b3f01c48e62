class Solution {
    public int maxProfit(int[] prices) {
        int cheapest = Integer.MAX_VALUE, best = 0;
        for (int p : prices) { cheapest = Math.min(cheapest, p); best = Math.max(best, p - cheapest); }
        return best;
    }
}
