// The rating page, better with JavaScript: a face or a reason is sent at once, without a reload; the next
// step (the reasons, the thank-you) replaces the form in place and takes the focus; a second tap while one
// is on its way sends nothing; a failure (offline, 429, a server error) says so in the page's language and
// keeps the choice for "Try again". The form stays the page's own: its key makes a retry one rating, and
// without this script the same form posts as a plain page.
(function () {
  "use strict";
  var main = document.querySelector("main");
  if (!main || !main.replaceChildren || !main.closest || !window.fetch || !window.DOMParser) {
    return; // an old browser keeps the plain form
  }
  var texts = main.dataset;
  var busy = false;
  var clicked = null;
  var calmUntil = 0; // the second tap of a double tap must not land on what replaced the first's button

  main.addEventListener("click", function (event) {
    var button = event.target.closest("button[name]");
    if (button) {
      clicked = button;
    }
  });

  main.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter || clicked;
    if (busy || Date.now() < calmUntil) {
      event.preventDefault(); // a second tap: the first is on its way, or has just been answered
      return;
    }
    if (!button || !form.contains(button)) {
      return; // not a press of ours: the plain form posts
    }
    event.preventDefault();
    send(form, button);
  });

  function send(form, button) {
    busy = true;
    clearProblem(form);
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[name]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].removeAttribute("aria-pressed");
      buttons[i].setAttribute("aria-disabled", "true");
    }
    button.setAttribute("aria-pressed", "true");
    var data = new FormData(form);
    data.append(button.name, button.value);
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (response.status === 429) {
          throw new Problem("limited");
        }
        if (response.status !== 200 && response.status !== 400 && response.status !== 404) {
          throw new Problem("failed");
        }
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var content = next.querySelector("main");
        if (!content) {
          throw new Problem("failed");
        }
        show(next, content);
      })
      .catch(function (error) {
        failed(form, button, error instanceof Problem ? error.kind : "offline");
      })
      .then(function () {
        busy = false;
      });
  }

  function Problem(kind) {
    this.kind = kind;
  }

  function show(next, content) {
    var nodes = [];
    for (var i = 0; i < content.childNodes.length; i++) {
      nodes.push(document.importNode(content.childNodes[i], true));
    }
    main.replaceChildren.apply(main, nodes);
    calmUntil = Date.now() + 600;
    document.title = next.title;
    var heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  function failed(form, button, kind) {
    form.removeAttribute("aria-busy");
    var buttons = form.querySelectorAll("button[name]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].removeAttribute("aria-disabled");
    }
    var box = document.createElement("div");
    box.className = "problem";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = texts[kind] || texts.failed;
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = texts.retry;
    retry.addEventListener("click", function () {
      if (!busy) {
        send(form, button);
      }
    });
    box.appendChild(text);
    box.appendChild(retry);
    form.insertBefore(box, form.firstChild);
    retry.focus();
  }

  function clearProblem(form) {
    var old = form.querySelector(".problem");
    if (old) {
      old.remove();
    }
  }
})();
