function isValid(s) {
  const closing = {')': '(', ']': '[', '}': '{'};
  const stack = [];
  for (const c of s) {
    if (c in closing) {
      if (stack.length === 0 || stack.pop() !== closing[c]) return false;
    } else {
      stack.push(c);
    }
  }
  return stack.length === 0;
}
