class Solution {
public:
    int maxProfit(vector<int>& prices) {
        int cheapest = INT_MAX, best = 0;
        for (int p : prices) { cheapest = min(cheapest, p); best = max(best, p - cheapest); }
        return best;
    }
};
