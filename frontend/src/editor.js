// CodeMirror 6 for the workspace, exposed as window.CodeMentorEditor.create(...).
// Bundled by build.mjs into static/vendor/codemirror/codemirror.js (committed).
import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { EditorState, Compartment, Prec } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { javascript } from "@codemirror/lang-javascript";
import { cpp } from "@codemirror/lang-cpp";
import { java } from "@codemirror/lang-java";

const LANGUAGES = { python, javascript, cpp, java };

function languageExtension(name) {
  const make = LANGUAGES[name] || python;
  return [make(), indentUnit.of(name === "python" ? "    " : "    ")];
}

function create({ parent, doc = "", language = "python", onRun, onSubmit, onChange, label = "Code editor" }) {
  const lang = new Compartment();
  const shortcuts = Prec.highest(keymap.of([
    { key: "Mod-Enter", run: () => { if (onRun) onRun(); return true; } },
    { key: "Mod-Shift-Enter", run: () => { if (onSubmit) onSubmit(); return true; } },
    // Escape leaves the editor so Tab-trapping never locks keyboard users in.
    { key: "Escape", run: (view) => { view.contentDOM.blur(); return true; } },
  ]));
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        shortcuts,
        basicSetup,
        keymap.of([indentWithTab]),
        lang.of(languageExtension(language)),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => { if (update.docChanged && onChange) onChange(update.state.doc.toString()); }),
      ],
    }),
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    setLanguage: (name) => view.dispatch({ effects: lang.reconfigure(languageExtension(name)) }),
    focus: () => view.focus(),
  };
}

window.CodeMentorEditor = { create, languages: Object.keys(LANGUAGES) };
