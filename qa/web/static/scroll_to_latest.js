// After an answer arrives, bring its turn (the newest element with a `qa-turn` class, whose other class is
// a per-turn token) to the top of the chat, so the answer reads from its start. The chat renders
// asynchronously, so poll briefly for it. (The sanitiser keeps classes but drops data-* attributes.)
() => {
  let tries = 0;
  const poll = () => {
    const turns = document.querySelectorAll('#chat .qa-turn');
    const last = turns[turns.length - 1];
    if (last && last.className !== window.__qaTurn) {
      window.__qaTurn = last.className;
      const box = last.closest('.panel-wrap, .bubble-wrap');
      if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    } else if (tries++ < 50) setTimeout(poll, 100);
  };
  poll();
}
