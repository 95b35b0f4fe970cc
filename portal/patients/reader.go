package patients

import (
	"encoding/json"
	"fmt"

	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/portal/readmodel"
)

// Reader answers queries over the patients index; safe for concurrent use.
type Reader struct {
	s *readmodel.Store
}

// NewReader returns a reader over s (whose registry holds Module).
func NewReader(s *readmodel.Store) *Reader { return &Reader{s: s} }

func get[T any](r *Reader, key string) (*T, error) {
	b, err := r.s.Get(ModuleName, key)
	if err != nil {
		return nil, err // readmodel.ErrNotFound or a read error
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w: patients record %q: %v", readmodel.ErrCorrupt, key, err)
	}
	return &v, nil
}

// Record returns a record's metadata (readmodel.ErrNotFound if none).
func (r *Reader) Record(id string) (*Record, error) { return get[Record](r, recordKey(id)) }

// VersionHash returns the ciphertext hash (hex) the ledger registered for
// version v of record id.
func (r *Reader) VersionHash(id string, v uint64) (string, error) {
	rec, err := r.Record(id)
	if err != nil {
		return "", err
	}
	for _, x := range rec.Versions {
		if x.Version == v {
			return x.CiphertextHash, nil
		}
	}
	return "", fmt.Errorf("%w: version %d of record %q", readmodel.ErrNotFound, v, id)
}

// Consent returns a consent (readmodel.ErrNotFound if none).
func (r *Reader) Consent(id string) (*Consent, error) { return get[Consent](r, consentKey(id)) }

// Access returns an access decision (readmodel.ErrNotFound if none).
func (r *Reader) Access(id string) (*Access, error) { return get[Access](r, accessKey(id)) }

// Page is a page of a list: Cursors[i] is the cursor of the i-th item.
type Page = readmodel.Page

func (r *Reader) ids(prefix, after string, reverse bool, limit int) ([]string, Page, error) {
	return r.s.IDs(ModuleName, prefix, after, reverse, limit)
}

// PatientRecords returns up to limit records of a patient, by id.
func (r *Reader) PatientRecords(patient, after string, limit int) ([]*Record, Page, error) {
	ids, pg, err := r.ids(patientRecordsPrefix(patient), after, false, limit)
	return readmodel.LoadPage(ids, pg, err, "patients: record", r.Record)
}

// PatientConsents returns up to limit consents of a patient, newest first.
func (r *Reader) PatientConsents(patient, after string, limit int) ([]*Consent, Page, error) {
	ids, pg, err := r.ids(patientConsentsPrefix(patient), after, true, limit)
	return readmodel.LoadPage(ids, pg, err, "patients: consent", r.Consent)
}

// GranteeConsents returns the consents granted or requested for grantee
// (a member or an organisation), newest first.
func (r *Reader) GranteeConsents(grantee, after string, limit int) ([]*Consent, Page, error) {
	ids, pg, err := r.ids(granteeConsentsPrefix(grantee), after, true, limit)
	return readmodel.LoadPage(ids, pg, err, "patients: consent", r.Consent)
}

// AccessLog returns up to limit access decisions on a patient's records,
// newest first.
func (r *Reader) AccessLog(patient, after string, limit int) ([]*Access, Page, error) {
	ids, pg, err := r.ids(patientAccessPrefix(patient), after, true, limit)
	return readmodel.LoadPage(ids, pg, err, "patients: access", r.Access)
}

// BreakGlassQueue returns up to limit break-glass accesses to a
// custodian's records: the unreviewed ones first, then (unless
// unreviewedOnly) the reviewed ones, each oldest first.
func (r *Reader) BreakGlassQueue(custodian string, unreviewedOnly bool, after string, limit int) ([]*Access, Page, error) {
	prefix := breakGlassPrefix(custodian)
	if unreviewedOnly {
		prefix += "0/"
	}
	ids, pg, err := r.ids(prefix, after, false, limit)
	return readmodel.LoadPage(ids, pg, err, "patients: access", r.Access)
}

// ChangedConsent is one change of a consent with the consent as it is now.
type ChangedConsent struct {
	Change  ConsentChange
	Consent *Consent
}

// ConsentChangesAt returns the changes made at height to patient's
// consents (granted, requested, accepted, declined, amended, revoked), in
// transaction order, each with its consent as the read model holds it
// now. It reads only that block's entries of the patient's change index.
func (r *Reader) ConsentChangesAt(patient string, height uint64) ([]ChangedConsent, error) {
	var ids []string
	prefix := consentChangesPrefix(patient) + fmt.Sprintf("%016x.", height)
	err := r.s.Scan(ModuleName, prefix, "", false, func(_ string, v []byte) bool {
		ids = append(ids, string(v))
		return true
	})
	if err != nil {
		return nil, err
	}
	var out []ChangedConsent
	seen := map[string]int{} // consent id -> its changes at height taken so far
	cache := map[string]*Consent{}
	for _, id := range ids {
		c := cache[id]
		if c == nil {
			if c, err = r.Consent(id); err != nil {
				return nil, fmt.Errorf("patients: consent %s of the change index: %w", id, err)
			}
			cache[id] = c
		}
		// The n-th index entry of a consent at this height is its n-th
		// history entry at this height.
		n := seen[id]
		seen[id]++
		for _, ch := range c.History {
			if ch.Height != height {
				continue
			}
			if n == 0 {
				out = append(out, ChangedConsent{Change: ch, Consent: c})
				break
			}
			n--
		}
	}
	return out, nil
}

// ActiveConsents returns every active consent of patient (for following
// their lapse), in no particular order.
func (r *Reader) ActiveConsents(patient string) ([]*Consent, error) {
	var out []*Consent
	after := ""
	for {
		cs, pg, err := r.PatientConsents(patient, after, 256)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Status == consentvocab.StatusActive {
				out = append(out, c)
			}
		}
		if !pg.More || len(pg.Cursors) == 0 {
			return out, nil
		}
		after = pg.Cursors[len(pg.Cursors)-1]
	}
}
