// Read-aloud (朗读) for elder mode and anyone who wants it: the browser's own speech
// synthesis reads the main content. Without JavaScript or speech support the button stays
// hidden and every page works as before.
(function () {
  var button = document.querySelector('.read-aloud');
  if (!button || !('speechSynthesis' in window)) return;
  button.hidden = false;
  var speaking = false;
  button.addEventListener('click', function () {
    if (speaking) { window.speechSynthesis.cancel(); speaking = false; return; }
    var main = document.getElementById('main');
    if (!main) return;
    var text = main.innerText.replace(/\s+/g, ' ').trim();
    var u = new SpeechSynthesisUtterance(text);
    u.lang = button.getAttribute('data-lang') === 'en' ? 'en-US' : 'zh-CN';
    u.rate = 0.9;
    u.onend = function () { speaking = false; };
    speaking = true;
    window.speechSynthesis.speak(u);
  });
})();
