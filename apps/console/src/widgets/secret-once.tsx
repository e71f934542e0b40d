import { CopyButton } from './copy-button';

/** A secret shown once, right after the answer that set it, with a button to copy it. */
export function SecretOnce({
  secret,
  title,
  note,
  copyLabel = 'Copy secret',
}: {
  secret: string;
  title: string;
  note?: string;
  copyLabel?: string;
}) {
  return (
    <div className="secret-once" role="region" aria-label={title}>
      <p>
        <strong>{title}</strong>
      </p>
      <p>
        <code className="secret-value" data-secret="">
          {secret}
        </code>{' '}
        <CopyButton text={secret} label={copyLabel} />
      </p>
      <p className="secret-warning">Copy it now: you will not see it again.{note ? ` ${note}` : ''}</p>
    </div>
  );
}
