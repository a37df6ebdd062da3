/* Talk: hashtag and people suggestions in comment boxes.
 *
 * A progressive enhancement: pages that can suggest tags declare the API endpoint in
 * <meta name="talk-tag-autocomplete" content="…/tags/autocomplete">, and pages that can suggest
 * people to @mention (for logged-in writers) in <meta name="talk-people-autocomplete"
 * content="…/people/autocomplete">; every <textarea name="body"> on them becomes a WAI-ARIA
 * combobox with a list of suggestions
 * (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/, "list autocomplete without automatic
 * selection"). Without JavaScript, or if a request fails, the textarea stays a plain textarea.
 *
 * Keys while suggestions show: Down/Up choose, Enter or Tab accept the chosen one, Escape closes.
 * Nothing is chosen until Down or Up is pressed, so Enter and Tab keep their usual meaning
 * (a new line, the next field) for anyone who ignores the list.
 */
(function () {
  "use strict";

  if (!window.fetch || !window.AbortController) return;

  var LIMIT = 8;
  var DELAY_MS = 150;

  // A "#" or "@" that talk/markup.py would read as the start of a hashtag or mention, then the
  // characters typed so far, ending at the caret. Markers start only at the start of the text
  // or after a separator: not after a letter, digit, mark or "_" ("C#", "me@example.org"), nor
  // after one of # @ ^ / \ . - + = & (URLs, paths, "\#" escapes). A tag name starts with a
  // letter or digit; a username with an ASCII letter, digit or "_".
  var SEPARATOR = "(?:^|[^\\p{L}\\p{N}\\p{M}_#@^\\/\\\\.+=&-])";
  var SOURCES = [
    {
      meta: "talk-tag-autocomplete",
      label: "Tag suggestions",
      partial: new RegExp(SEPARATOR + "#([\\p{L}\\p{Nd}][\\p{L}\\p{M}\\p{Nd}_-]*)$", "u"),
      wordChar: /[\p{L}\p{M}\p{Nd}_-]/u,
      maxTyped: 65, // the API refuses a longer q (a tag name is at most 64 characters)
      text: function (tag) {
        return "#" + tag.name;
      },
      option: tagOption,
    },
    {
      meta: "talk-people-autocomplete",
      label: "People suggestions",
      partial: new RegExp(SEPARATOR + "@([A-Za-z0-9_][A-Za-z0-9_.-]*)$", "u"),
      wordChar: /[A-Za-z0-9_.-]/,
      maxTyped: 40, // the API refuses a longer q (a username is at most 40 characters)
      text: function (person) {
        return "@" + person.username;
      },
      option: personOption,
    },
  ].filter(function (source) {
    var meta = document.querySelector('meta[name="' + source.meta + '"]');
    if (!meta) return false;
    source.endpoint = new URL(meta.content, document.baseURI);
    // Answers by typed prefix, shared by every box on the page: typing back and forth over
    // the same letters asks the server once.
    source.cache = new Map();
    return true;
  });
  if (!SOURCES.length) return;

  var boxes = 0;

  // Inside a code span or a fenced code block a "#" is never a tag, so suggest nothing there.
  // A heuristic on the text before the caret (an open ``` fence, or an odd number of
  // backticks on the current line), good enough for a hint.
  function insideCode(before) {
    var fences = before.match(/^ {0,3}(```|~~~)/gm);
    if (fences && fences.length % 2 === 1) return true;
    var line = before.slice(before.lastIndexOf("\n") + 1);
    return (line.match(/`/g) || []).length % 2 === 1;
  }

  // The half-typed tag or mention ending at the caret, as {source, start, typed}, or null.
  function partialName(textarea) {
    if (textarea.selectionStart !== textarea.selectionEnd) return null;
    var caret = textarea.selectionEnd;
    var value = textarea.value;
    var before = value.slice(Math.max(0, caret - 200), caret);
    for (var i = 0; i < SOURCES.length; i++) {
      var source = SOURCES[i];
      // The caret must be at the end of the word: completing "#égl|ise" would leave "ise".
      if (caret < value.length && source.wordChar.test(value.charAt(caret))) continue;
      var match = source.partial.exec(before);
      if (!match || match[1].length > source.maxTyped) continue;
      if (insideCode(value.slice(0, caret))) return null;
      return { source: source, start: caret - match[1].length - 1, typed: match[1] };
    }
    return null;
  }

  function cacheKey(typed) {
    return typed.normalize("NFKC").toLowerCase();
  }

  function tagOption(item, tag) {
    var name = document.createElement("span");
    name.className = "tag-suggestion-name";
    name.textContent = "#" + tag.name;
    item.appendChild(name);
    if (tag.curated) {
      var marker = document.createElement("span");
      marker.className = "tag-curated";
      marker.textContent = "curated";
      item.appendChild(document.createTextNode(" "));
      item.appendChild(marker);
      if (tag.curated.description) {
        var description = document.createElement("span");
        description.className = "tag-suggestion-description";
        description.textContent = tag.curated.description;
        item.appendChild(document.createTextNode(" "));
        item.appendChild(description);
      }
    }
    var uses = document.createElement("span");
    uses.className = "tag-count";
    uses.textContent = " " + tag.use_count + (tag.use_count === 1 ? " use" : " uses");
    item.appendChild(uses);
  }

  function personOption(item, person) {
    var name = document.createElement("span");
    var username = document.createElement("span");
    name.className = "person-suggestion-name";
    name.textContent = person.display_name;
    username.className = "person-suggestion-username";
    username.textContent = " @" + person.username;
    item.appendChild(name);
    item.appendChild(username);
    if (person.label) {
      var label = document.createElement("span");
      label.className = "role-label";
      label.textContent = person.label;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(label);
    }
  }

  function enhance(textarea) {
    var n = ++boxes;
    var listbox = document.createElement("ul");
    var status = document.createElement("div");
    var anchor = document.createElement("div");
    var options = []; // the tags shown, in order
    var active = -1; // index of the chosen option, -1 for none
    var current = null; // the partial tag the list is for
    var dismissed = false; // Escape pressed: stay closed until the text changes
    var timer = 0;
    var request = null;

    listbox.id = "tag-suggestions-" + n;
    listbox.className = "tag-suggestions";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Tag suggestions");
    listbox.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");

    // The list hangs from an empty anchor placed right after the textarea. The textarea itself
    // is never moved: moving it would take the focus from anyone already writing in it (this
    // script is deferred, so on a slow device the writer can be quicker), and what they type
    // next would go nowhere.
    anchor.className = "tag-autocomplete";
    anchor.appendChild(listbox);
    anchor.appendChild(status);
    textarea.insertAdjacentElement("afterend", anchor);

    // role=combobox on the textarea itself (ARIA 1.2): its label, description and value stay
    // the textarea's, and focus never leaves it.
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-expanded", "false");
    textarea.setAttribute("aria-controls", listbox.id);

    function close() {
      clearTimeout(timer);
      if (request) request.abort();
      request = null;
      current = null;
      options = [];
      active = -1;
      listbox.hidden = true;
      listbox.textContent = "";
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
      status.textContent = "";
    }

    function option(row, index) {
      var item = document.createElement("li");
      item.id = listbox.id + "-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      current.source.option(item, row);
      return item;
    }

    function show(partial, rows) {
      if (!rows.length) {
        close();
        return;
      }
      // The answer for the latest letters can land after the writer chose from the list shown
      // for the earlier ones: the choice stays if the new list still has it.
      var chosen = active >= 0 ? current.source.text(options[active]) : null;
      current = partial;
      options = rows;
      active = -1;
      listbox.textContent = "";
      listbox.setAttribute("aria-label", partial.source.label);
      rows.forEach(function (row, index) {
        listbox.appendChild(option(row, index));
      });
      listbox.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      textarea.removeAttribute("aria-activedescendant");
      status.textContent = rows.length + (rows.length === 1 ? " suggestion" : " suggestions");
      var kept = rows.findIndex(function (row) {
        return partial.source.text(row) === chosen;
      });
      if (kept >= 0) choose(kept);
    }

    function choose(index) {
      var items = listbox.children;
      if (active >= 0) items[active].setAttribute("aria-selected", "false");
      active = index;
      items[active].setAttribute("aria-selected", "true");
      textarea.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function accept(index) {
      var start = current.start;
      var end = textarea.selectionEnd;
      // One space after the name, unless one is already there: then the caret goes past it.
      var spaced = /\s/.test(textarea.value.charAt(end));
      var text = current.source.text(options[index]) + (spaced ? "" : " ");
      close();
      textarea.focus();
      textarea.setSelectionRange(start, end);
      // insertText keeps the browser's undo history (Ctrl+Z brings back what was typed);
      // setRangeText is for browsers that no longer support it.
      if (!document.execCommand("insertText", false, text)) {
        textarea.setRangeText(text, start, end, "end");
      }
      var caret = start + text.length + (spaced ? 1 : 0);
      textarea.setSelectionRange(caret, caret);
      close(); // insertText fired "input"; nothing is half-typed any more
    }

    function fetchRows(partial, key) {
      if (request) request.abort();
      var controller = new AbortController();
      var url = new URL(partial.source.endpoint);
      url.searchParams.set("q", partial.typed);
      url.searchParams.set("limit", String(LIMIT));
      request = controller;
      fetch(url, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (body) {
          partial.source.cache.set(key, body.data);
          if (request === controller) {
            request = null;
            show(partial, body.data);
          }
        })
        .catch(function () {
          // Aborted because the writer typed on, or the server could not answer: no list.
          if (request === controller) close();
        });
    }

    function update() {
      var partial = dismissed ? null : partialName(textarea);
      if (!partial) {
        close();
        return;
      }
      if (
        current &&
        current.source === partial.source &&
        current.start === partial.start &&
        current.typed === partial.typed
      ) {
        return;
      }
      var key = cacheKey(partial.typed);
      var cache = partial.source.cache;
      clearTimeout(timer);
      // The answer for older letters is dropped now, not when the next request starts: shown
      // after the writer typed on, it could offer names the letters no longer match.
      if (request) request.abort();
      request = null;
      if (cache.has(key)) {
        show(partial, cache.get(key));
        return;
      }
      // Wait for a pause in typing before asking.
      timer = setTimeout(function () {
        fetchRows(partial, key);
      }, DELAY_MS);
    }

    textarea.addEventListener("input", function () {
      dismissed = false;
      update();
    });

    textarea.addEventListener("keydown", function (event) {
      if (listbox.hidden || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      var count = options.length;
      if (event.key === "ArrowDown") {
        choose((active + 1) % count);
      } else if (event.key === "ArrowUp") {
        choose(active <= 0 ? count - 1 : active - 1);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0 && !event.shiftKey) {
        accept(active);
      } else if (event.key === "Escape") {
        dismissed = true;
        close();
      } else {
        return;
      }
      event.preventDefault();
    });

    // Moving the caret without typing (arrows, Home/End, a click) may leave the tag.
    textarea.addEventListener("keyup", function (event) {
      if (/^(ArrowLeft|ArrowRight|Home|End|PageUp|PageDown)$/.test(event.key)) update();
    });
    textarea.addEventListener("click", update);
    textarea.addEventListener("blur", close);

    // Pressing on the list would move focus away (and close it) before the click lands.
    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    listbox.addEventListener("click", function (event) {
      var item = event.target.closest('[role="option"]');
      if (item) accept(Array.prototype.indexOf.call(listbox.children, item));
    });
  }

  document.querySelectorAll('textarea[name="body"]').forEach(enhance);
})();
