import { lazy, Suspense } from 'react';

import type { CodeEditorProps, DiffViewProps } from './codemirror';

/**
 * The code editor (CodeMirror 6) for function code and JSON, and a side-by-side diff. Loaded on first use, in a
 * chunk of its own, so pages without an editor do not pay for it. While it loads, a read-only textarea shows the
 * text.
 */
const Editor = lazy(() => import('./codemirror').then((m) => ({ default: m.CodeMirrorEditor })));
const Diff = lazy(() => import('./codemirror').then((m) => ({ default: m.CodeMirrorDiff })));

export type { CodeEditorProps, DiffViewProps };

export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense
      fallback={<textarea className="editor-fallback" aria-label={props.label} value={props.value} readOnly rows={8} />}
    >
      <Editor {...props} />
    </Suspense>
  );
}

export function DiffView(props: DiffViewProps) {
  return (
    <Suspense fallback={<p className="muted">Loading the diff…</p>}>
      <Diff {...props} />
    </Suspense>
  );
}
