class Solution {
public:
    vector<int> dailyTemperatures(vector<int>& temperatures) {
        vector<int> answer(temperatures.size()), waiting;
        for (int day = 0; day < (int)temperatures.size(); day++) {
            while (!waiting.empty() && temperatures[waiting.back()] < temperatures[day]) {
                answer[waiting.back()] = day - waiting.back();
                waiting.pop_back();
            }
            waiting.push_back(day);
        }
        return answer;
    }
};
