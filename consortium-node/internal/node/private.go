package node

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// Errors of the private record API.
var (
	ErrNotCustodian = errors.New("node: this node keeps no private records (no encryption key configured)")
	ErrForbidden    = errors.New("node: forbidden")
	ErrInvalid      = errors.New("node: invalid request")
	ErrStale        = errors.New("node: request time is not within 5 minutes of the node's clock")
)

const requestSkew = 5 * time.Minute

// authenticate checks a private request's signature against the member's
// current identity key and its freshness.
func (n *Node) authenticate(member string, at int64, req any, sig []byte) (*identity.Member, error) {
	if d := time.Since(time.Unix(at, 0)); d > requestSkew || d < -requestSkew {
		return nil, ErrStale
	}
	m, err := identity.LoadMember(stateReader{n}, member)
	if err != nil || m.Revoked {
		return nil, fmt.Errorf("%w: %q is not an active member", ErrForbidden, member)
	}
	msg, err := api.PrivateSignBytes(req)
	if err != nil {
		return nil, err
	}
	if err := m.SignKey.Verify(msg, sig); err != nil {
		return nil, fmt.Errorf("%w: the request is not signed with %q's current key", ErrForbidden, member)
	}
	return m, nil
}

// UploadRecord stores a record version's ciphertext on this custodian
// node. The uploader must be records staff of this node's organisation;
// the ledger entry (record.register) is a separate transaction. Until a
// committed registration names the ciphertext's hash the upload is staged
// (privatestore.Stage): another upload of the same version may follow (a
// registration the ledger refused), and the sweep discards what no
// registration names (sweep.go). An upload of a version the ledger
// already registers (a retry) must be its registered ciphertext.
func (n *Node) UploadRecord(req *api.UploadRequest) error {
	if n.private == nil {
		return ErrNotCustodian
	}
	// Only what the ledger can register (and the organisation's other
	// nodes take as a copy): a record id and a version from 1.
	if err := identity.ValidateID(req.RecordID, false); err != nil || req.Version == 0 {
		return fmt.Errorf("%w: record %q version %d: a record id (2 to 128 of a-z, 0-9, '-', '_', '.') and a "+
			"version from 1", ErrInvalid, req.RecordID, req.Version)
	}
	m, err := n.authenticate(req.Uploader, req.Time, req, req.Sig)
	if err != nil {
		return err
	}
	if m.Org != n.me.Org || !(m.HasRole(identityvocab.RoleRecordsClerk) || m.HasRole(identityvocab.RolePhysician)) {
		return fmt.Errorf("%w: uploading records to %s's node needs role records_clerk or physician in %q", ErrForbidden, n.me.Org, n.me.Org)
	}
	h := ledger.Hash(sha256Sum(req.Sealed))
	registered, err := n.checkUpload(req.RecordID, req.Version, h)
	if err != nil {
		return err
	}
	if registered {
		if err := n.private.Put(req.RecordID, req.Version, req.Sealed, req.Wrapped); err != nil {
			return err
		}
		n.log.Info("stored a record version", "record", req.RecordID, "version", req.Version, "by", m.ID)
	} else {
		if _, err := n.private.Stage(req.RecordID, req.Version, req.Sealed, req.Wrapped, m.ID, n.cfg.Sweep.Now()); err != nil {
			return err
		}
		n.log.Info("staged a record version until the ledger registers it", "record", req.RecordID, "version", req.Version, "by", m.ID)
	}
	n.replicate(req.RecordID, req.Version, h) // to the organisation's other nodes (replicate.go)
	return nil
}

// checkUpload checks an upload of a record version whose ciphertext hash
// is h against the ledger: a record this node's organisation keeps,
// unerased, and a version it may register next, or one it registers with
// hash h (registered: true).
func (n *Node) checkUpload(id string, version uint64, h ledger.Hash) (registered bool, err error) {
	rec, err := record.LoadRecord(stateReader{n}, id)
	if errors.Is(err, contracts.ErrNotFound) {
		if version != 1 {
			return false, fmt.Errorf("%w: record %q is not on the ledger; its first version is 1", ErrInvalid, id)
		}
		return false, nil
	}
	switch {
	case err != nil:
		return false, err
	case rec.Custodian != n.me.Org:
		return false, fmt.Errorf("%w: record %q is held by %q", ErrForbidden, id, rec.Custodian)
	case rec.Erased:
		return false, fmt.Errorf("%w: %q", privatestore.ErrErased, id)
	case version > rec.Latest+1:
		return false, fmt.Errorf("%w: record %q is at version %d; upload version %d", ErrInvalid, id, rec.Latest, rec.Latest+1)
	case version == rec.Latest+1:
		return false, nil
	}
	v, err := record.LoadVersion(stateReader{n}, id, version)
	if err != nil {
		return false, err
	}
	if v.CiphertextHash != h {
		return false, fmt.Errorf("%w: version %d of %q is registered with other content; upload it as version %d",
			privatestore.ErrMismatch, version, id, rec.Latest+1)
	}
	return true, nil
}

// fetchLocal serves a record this node keeps under a committed access
// transaction: the requester must be its reader, the access granted and
// unexpired, the consent it names still valid (revocation and lapse take
// effect at once), and the record held here and not erased.
func (n *Node) fetchLocal(req *api.FetchRequest) (*api.FetchResponse, error) {
	if n.private == nil {
		return nil, ErrNotCustodian
	}
	m, err := n.authenticate(req.Reader, req.Time, req, req.Sig)
	if err != nil {
		return nil, err
	}
	a, rec, err := record.Servable(stateReader{n}, req.AccessID, m.ID, time.Now())
	if errors.Is(err, contracts.ErrNotFound) {
		return nil, fmt.Errorf("%w: %v (commit the access transaction first)", ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	if rec.Custodian != n.me.Org {
		return nil, fmt.Errorf("%w: record %q is held by %q's node", ErrNotFound, rec.ID, rec.Custodian)
	}
	v, err := record.LoadVersion(stateReader{n}, rec.ID, a.Version)
	if err != nil {
		return nil, err
	}
	// The ciphertext the ledger registers: stored, or still staged when
	// this node has not yet promoted it.
	sealed, wrapped, err := n.private.Release(rec.ID, a.Version, v.CiphertextHash, m.ID, m.EncKey.Key)
	if errors.Is(err, privatestore.ErrErased) {
		return nil, fmt.Errorf("%w: record %q was erased", ErrForbidden, rec.ID)
	}
	if errors.Is(err, privatestore.ErrMismatch) {
		return nil, fmt.Errorf("node: stored ciphertext of %q version %d does not match its ledger hash: %w", rec.ID, a.Version, err)
	}
	if err != nil {
		return nil, err
	}
	n.log.Info("released a record", "record", rec.ID, "version", a.Version, "reader", m.ID, "access", req.AccessID.String())
	return &api.FetchResponse{RecordID: rec.ID, Version: a.Version, Sealed: sealed, Wrapped: wrapped}, nil
}

// shred applies a block's record events to the private store: a
// registration makes the staged upload it names the version (and drops
// the version's other uploads), an erasure destroys the record's
// ciphertexts and keys.
func (n *Node) shred(rs []ledger.Receipt) {
	if n.private == nil {
		return
	}
	for _, r := range rs {
		for _, e := range r.Events {
			if e.Contract != record.Name || e.Attr(recordvocab.AttrCustodian) != n.me.Org {
				continue
			}
			switch e.Type {
			case evRecordRegistered:
				n.promote(e)
			case "record_erased":
				k, err := n.private.Erase(e.Attr(recordvocab.AttrRecord))
				if err != nil {
					n.log.Error("erasing a record's private copies", "record", e.Attr(recordvocab.AttrRecord), "err",
						err)
					continue
				}
				n.log.Info("erased a record (ciphertexts and data keys destroyed)", "record",
					e.Attr(recordvocab.AttrRecord), "versions", k)
			}
		}
	}
	n.noteRegistered(rs) // new versions this node lacks (replicate.go)
}

// promote makes the upload a record_registered event names the version.
func (n *Node) promote(e ledger.Event) {
	id := e.Attr(recordvocab.AttrRecord)
	v, err1 := strconv.ParseUint(e.Attr(recordvocab.AttrVersion), 10, 64)
	h, err2 := ledger.ParseHash(e.Attr(recordvocab.AttrCiphertextHash))
	if err := errors.Join(err1, err2); err != nil {
		n.log.Error("a record_registered event without its version or hash", "record", id, "err", err)
		return
	}
	held, err := n.private.Promote(id, v, h)
	if err != nil {
		n.log.Error("promoting a registered upload", "record", id, "version", v, "err", err)
		return
	}
	if !held {
		n.log.Info("a registered version is not on this node; the organisation's other nodes have it", "record", id, "version", v)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
