import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { MergeView } from '@codemirror/merge';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

export interface CodeEditorProps {
  /** The text; the editor follows it when it changes from outside (a version loaded, a form reset). */
  readonly value: string;
  readonly onChange?: (value: string) => void;
  readonly language: 'javascript' | 'json';
  /** The accessible name of the editable area (tests and screen readers find the editor by it). */
  readonly label: string;
  readonly readOnly?: boolean;
  /** Ids of elements that describe the field, e.g. its error. */
  readonly describedBy?: string;
  readonly invalid?: boolean;
}

export interface DiffViewProps {
  readonly original: string;
  readonly modified: string;
  readonly language: 'javascript' | 'json';
  readonly label: string;
}

function languageOf(language: CodeEditorProps['language']): Extension {
  return language === 'json' ? json() : javascript();
}

/**
 * The nonce data-service gave this page (a `<meta property="csp-nonce">` that Vite writes): CodeMirror mounts its
 * styles in a `<style>` element, which the page's Content-Security-Policy allows only with it.
 */
const styleNonce = EditorView.cspNonce.of(
  document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce ?? '',
);

const theme = EditorView.theme({
  '&': { border: '1px solid var(--line)', borderRadius: '4px', fontSize: '13px' },
  '.cm-scroller': { minHeight: '8em', maxHeight: '32em' },
});

export function CodeMirrorEditor({
  value,
  onChange,
  language,
  label,
  readOnly,
  describedBy,
  invalid,
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const attributes: Record<string, string> = { 'aria-label': label, 'aria-multiline': 'true' };
    if (describedBy) attributes['aria-describedby'] = describedBy;
    if (invalid) attributes['aria-invalid'] = 'true';
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          styleNonce,
          languageOf(language),
          theme,
          EditorView.lineWrapping,
          EditorState.readOnly.of(Boolean(readOnly)),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of(attributes),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The text is followed by the effect below; the rest rebuilds the editor.
  }, [language, label, readOnly, describedBy, invalid]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div ref={host} className="editor" />;
}

export function CodeMirrorDiff({ original, modified, language, label }: DiffViewProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const readOnly = [
      basicSetup,
      styleNonce,
      languageOf(language),
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      EditorView.lineWrapping,
    ];
    const merge = new MergeView({
      parent: host.current!,
      a: {
        doc: original,
        extensions: [...readOnly, EditorView.contentAttributes.of({ 'aria-label': `${label}: before` })],
      },
      b: {
        doc: modified,
        extensions: [...readOnly, EditorView.contentAttributes.of({ 'aria-label': `${label}: after` })],
      },
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    return () => merge.destroy();
  }, [original, modified, language, label]);
  return <div ref={host} className="diff" role="group" aria-label={label} />;
}
