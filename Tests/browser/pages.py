"""The rules every page is held to, as scripts run in the page and the checks on what they return.

Rules (the names a failure carries):
- `status`: no answer of 400 or above to the page or anything it loads from the site, and no
  bounce to the sign-in page from a link the account was shown.
- `template-error`: no Leaf markup (`#(`, `#if(`, `#endif` …) or Leaf error text on the page.
- `text-key`: no bare text key where text belongs: a lower-case snake_case word (`home_title`,
  `age_80`, `rehab_care`) in the visible text or in placeholder, title, aria-label or alt. Exempt:
  text inside `code`, `kbd`, `samp`, `pre`, `.code` (codes shown as codes on purpose) and the
  demo accounts' user names (names, not keys).
- `title`: a `<title>` that names the page (not empty before the " · 颐养" suffix).
- `axe`: axe-core finds no violation of impact serious or critical (contrast included).
- `elder-text` (elder mode, phone): every visible text at least 18 px; `elder-h1`: every h1 at
  least 30 px. Text read only by screen readers (`.sr`, 1 px clipped) is not seen and not measured.
- `elder-target` (elder mode, phone): every visible a[href], button, input, select, textarea and
  summary at least 60×60 px. A radio or checkbox is measured by its label (the label is what a
  finger taps, and the input inside it is only its mark). Exempt: a link that sits inline in a
  sentence (WCAG 2.5.8's inline exception: the sentence's line height bounds it, and making it
  60 px would break the text apart; none of our pages has one today), and the skip link while
  it waits off screen for keyboard focus.
- `phone-scroll` (elder mode, 390 px): the page is no wider than the screen.
- `no-script`: with JavaScript off the page shows its h1, as much main text as with it on (less
  40 characters of slack), and the same forms with the same visible controls.
"""
import re

KEY = re.compile(r"(?<![A-Za-z0-9_./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_/@-])")
TEMPLATE_MARKS = re.compile(r"#(?:\(|if\(|else|endif|for\(|endfor|extend|export|endexport|import\(|endextend)|LeafError|"
                            r"unknownTag|No template found|unresolvedAST")

FACTS = r"""
const skip = 'script, style, noscript, code, kbd, samp, pre, .code, template';
const texts = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const t = n.nodeValue.trim();
  if (!t || !n.parentElement || n.parentElement.closest(skip)) continue;
  texts.push(t);
}
for (const e of document.querySelectorAll('[placeholder], [title], [aria-label], img[alt]')) {
  if (e.closest(skip)) continue;
  for (const a of ['placeholder', 'title', 'aria-label', 'alt']) if (e.getAttribute(a)) texts.push(e.getAttribute(a));
}
const visible = e => { const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
const forms = Array.from(document.querySelectorAll('main form')).map(f => [
  (f.getAttribute('method') || 'get').toLowerCase() + ' ' + (f.getAttribute('action') || ''),
  Array.from(f.elements).filter(e => e.name && e.type !== 'hidden' && visible(e)).map(e => e.name).sort().join(',')]);
return {
  title: document.title,
  h1: Array.from(document.querySelectorAll('main h1')).map(h => h.innerText.trim()).join(' | '),
  mainText: (document.querySelector('main') || document.body).innerText.trim().length,
  texts: texts,
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  forms: forms,
};
"""

ELDER = r"""
const out = {scrollWidth: document.documentElement.scrollWidth, width: document.documentElement.clientWidth, text: [], h1: [], targets: []};
const shown = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
  return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && r.right > 0 && r.bottom > -10000; };
const name = e => e.tagName.toLowerCase()
  + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '')
  + ' "' + ((e.innerText || e.textContent || e.value || e.name || e.getAttribute('aria-label') || '')
             .trim().replace(/\s+/g, ' ').slice(0, 24)) + '"';
const px = e => parseFloat(getComputedStyle(e).fontSize);
const seen = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const e = n.parentElement;
  if (!n.nodeValue.trim() || !e || seen.has(e) || e.closest('script, style, noscript, option')) continue;
  seen.add(e);
  if (!shown(e)) continue;
  let size = px(e);
  // Text in a drawing is scaled with it: its size on screen is what a reader sees.
  const svg = e.closest('svg');
  if (svg && svg.getScreenCTM()) size = size * svg.getScreenCTM().a;
  if (size < 17.95) out.text.push(name(e) + ' ' + size.toFixed(1) + 'px');
}
for (const h of document.querySelectorAll('h1')) if (shown(h) && px(h) < 29.95) out.h1.push(name(h) + ' ' + px(h) + 'px');
const inSentence = a => {
  if (getComputedStyle(a).display !== 'inline') return false;
  const block = a.parentElement.closest('p, li, td, dd, div');
  return block && block.innerText.trim().length > a.innerText.trim().length + 8;
};
for (const e of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
  let target = e;
  if (e.matches('input[type=radio], input[type=checkbox]'))
    target = e.closest('label') || (e.id && document.querySelector('label[for="' + e.id + '"]')) || e;
  if (!shown(target) || (e.tagName === 'A' && inSentence(e))) continue;
  const r = target.getBoundingClientRect();
  if (r.width < 59.5 || r.height < 59.5) out.targets.push(name(target) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
}
return out;
"""


def text_keys(texts: list[str], usernames: set[str]) -> list[str]:
    found = []
    for t in texts:
        for m in KEY.findall(t):
            if m not in usernames and m not in found:
                found.append(m)
    return found


def template_marks(texts: list[str]) -> list[str]:
    return sorted({m.group(0) for t in texts for m in TEMPLATE_MARKS.finditer(t)})


def axe_violations(d, axe_source: str) -> list[str]:
    """axe-core's serious and critical violations, each with the first few elements it names."""
    d.execute_script(axe_source)
    result = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => [v.id, v.impact, v.help,"
        " v.nodes.slice(0, 3).map(n => n.target.join(' ')"
        " + (n.failureSummary ? ' — ' + n.failureSummary.split('\\n').slice(1, 2).join('') : ''))])))"
        ".catch(e => done([['axe-error', 'critical', String(e), []]]))")
    return [f"{rid} ({impact}): {help} @ {'; '.join(nodes)}" for rid, impact, help, nodes in result
            if impact in ("serious", "critical")]
