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

// Visit check-in and check-out (caregiver's phone page): the browser's location is asked for
// at the moment of the tap, never before or after. If the phone refuses or takes more than
// ten seconds, the form goes without it and the visit is reviewed as "no location".
(function () {
  var forms = document.querySelectorAll('form[data-locate]');
  if (!forms.length || !('geolocation' in navigator)) return;
  Array.prototype.forEach.call(forms, function (form) {
    var sent = false;
    form.addEventListener('submit', function (event) {
      if (sent) return;
      event.preventDefault();
      var button = form.querySelector('button[type=submit]');
      if (button) { button.disabled = true; button.textContent = button.getAttribute('data-busy') || button.textContent; }
      var send = function () { sent = true; form.submit(); };
      navigator.geolocation.getCurrentPosition(function (p) {
        form.querySelector('input[name=latitude]').value = p.coords.latitude.toFixed(6);
        form.querySelector('input[name=longitude]').value = p.coords.longitude.toFixed(6);
        send();
      }, send, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
    });
  });
})();
