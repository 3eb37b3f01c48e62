class Solution {
public:
    vector<int> topKFrequent(vector<int>& nums, int k) {
        unordered_map<int, int> counts;
        for (int x : nums) counts[x]++;
        vector<pair<int, int>> byCount;
        for (auto& [value, count] : counts) byCount.push_back({count, value});
        sort(byCount.rbegin(), byCount.rend());
        vector<int> out;
        for (int i = 0; i < k; i++) out.push_back(byCount[i].second);
        return out;
    }
};
