// Reading a record: readRecord commits a record.access on the ledger (under
// a consent, or the patient's own) and returns the decrypted content to
// this viewer only. It is an explicit action because the access is logged.
import { useState } from 'preact/hooks';
import { gql } from '../api';
import { Busy, Field, Result, useAction } from '../ui';
import { pretty } from '../format';

const READ = `mutation Read($record: ID!, $purpose: String!, $consent: ID) {
  readRecord(record: $record, purpose: $purpose, consent: $consent) { recordId version kind content contentBase64 access { id height } }
}`;

export function RecordReader({ record, purpose, askConsent }: { record: string; purpose: string; askConsent: boolean }) {
  const [consent, setConsent] = useState('');
  const [read, setRead] = useState<any>(null);
  const a = useAction();
  return (
    <div class="reader">
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          a.run(async () => {
            const d = await gql<any>(READ, { record, purpose, consent: consent.trim() || null });
            setRead(d.readRecord);
            return `Read version ${d.readRecord.version}; the access is in block ${d.readRecord.access.height}.`;
          });
        }}
      >
        <code>{record}</code>
        {askConsent && (
          <Field label={`Consent for ${record}`}>
            <input name={`consent-${record}`} value={consent} onInput={(e) => setConsent(e.currentTarget.value)} />
          </Field>
        )}
        <Busy type="submit" class="secondary" busy={a.busy}>
          Read {record}
        </Busy>
      </form>
      <Result a={a} />
      {read && (
        <details open>
          <summary>Content of {record}</summary>
          <pre class="fhir">{read.content !== null ? pretty(read.content) : `(binary, ${atob(read.contentBase64).length} bytes)`}</pre>
        </details>
      )}
    </div>
  );
}
