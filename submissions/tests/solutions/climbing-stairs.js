function climbStairs(n) {
  let before = 1, current = 1;
  for (let i = 1; i < n; i++) [before, current] = [current, before + current];
  return current;
}
