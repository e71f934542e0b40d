import { useState } from 'react';

/** Copies `text` to the clipboard and says so (a URL, a secret shown once). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <span className="copy">
      <button
        type="button"
        className="secondary"
        onClick={() => {
          navigator.clipboard.writeText(text).then(
            () => setCopied('yes'),
            () => setCopied('no'),
          );
        }}
      >
        {label}
      </button>
      <span role="status" className="muted">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Could not copy: select the text instead.' : ''}
      </span>
    </span>
  );
}
