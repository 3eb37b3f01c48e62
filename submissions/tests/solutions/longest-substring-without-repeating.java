import java.util.*;

class Solution {
    public int lengthOfLongestSubstring(String s) {
        int[] cps = s.codePoints().toArray();
        Map<Integer, Integer> last = new HashMap<>();
        int start = 0, best = 0;
        for (int i = 0; i < cps.length; i++) {
            Integer j = last.get(cps[i]);
            if (j != null && j >= start) start = j + 1;
            last.put(cps[i], i);
            best = Math.max(best, i - start + 1);
        }
        return best;
    }
}
