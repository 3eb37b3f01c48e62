function lengthOfLongestSubstring(s) {
  const last = new Map();
  let start = 0, best = 0, i = 0;
  for (const c of s) {
    if (last.has(c) && last.get(c) >= start) start = last.get(c) + 1;
    last.set(c, i);
    best = Math.max(best, i - start + 1);
    i++;
  }
  return best;
}
