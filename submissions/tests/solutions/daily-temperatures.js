function dailyTemperatures(temperatures) {
  const answer = new Array(temperatures.length).fill(0);
  const waiting = [];
  temperatures.forEach((t, day) => {
    while (waiting.length && temperatures[waiting[waiting.length - 1]] < t) {
      const earlier = waiting.pop();
      answer[earlier] = day - earlier;
    }
    waiting.push(day);
  });
  return answer;
}
