package patients

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/api"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/readmodel"
)

// ModuleName is the read-model module's name (key space "x/patients/").
const ModuleName = "patients"

// ErrEvent marks a committed event the index cannot apply (it wraps
// readmodel.ErrCorrupt).
var ErrEvent = fmt.Errorf("%w: patients", readmodel.ErrCorrupt)

// Access kinds.
const (
	AccessGranted    = "granted"
	AccessRefused    = "refused"
	AccessBreakGlass = "break_glass"
)

// Version is one registered version of a record.
type Version struct {
	Version        uint64 `json:"version"`
	CiphertextHash string `json:"ciphertext_hash"`
	Registrar      string `json:"registrar"`
	Height         uint64 `json:"height"`
	Time           int64  `json:"time"`
	TxID           string `json:"tx_id"`
}

// Record is a record's metadata.
type Record struct {
	ID           string    `json:"id"`
	Patient      string    `json:"patient"`
	Custodian    string    `json:"custodian"`
	Category     string    `json:"category"`
	Versions     []Version `json:"versions"`
	Erased       bool      `json:"erased"`
	ErasedBy     string    `json:"erased_by,omitempty"`
	ErasedHeight uint64    `json:"erased_height,omitempty"`
	Height       uint64    `json:"height"`
	Time         int64     `json:"time"`
}

// ConsentChange is one step of a consent's history.
type ConsentChange struct {
	Kind   string `json:"kind"` // granted, requested, accepted, declined, amended, revoked
	By     string `json:"by"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"`
	TxID   string `json:"tx_id"`
}

// Consent is a consent decision.
type Consent struct {
	ID            string          `json:"id"`
	Patient       string          `json:"patient"`
	Grantee       string          `json:"grantee"`
	Purpose       string          `json:"purpose"`
	Status        string          `json:"status"`
	Records       []string        `json:"records"`
	Categories    []string        `json:"categories"`
	Start         int64           `json:"start"` // Unix seconds
	End           int64           `json:"end"`
	Scope         string          `json:"scope"`
	Category      string          `json:"category"`
	ActorRole     string          `json:"actor_role"`
	Requester     string          `json:"requester,omitempty"`
	Version       uint64          `json:"version"`
	GrantedHeight uint64          `json:"granted_height,omitempty"`
	RevokedHeight uint64          `json:"revoked_height,omitempty"`
	History       []ConsentChange `json:"history"`
	Height        uint64          `json:"height"`
	Time          int64           `json:"time"`
	Updated       uint64          `json:"updated"`
}

// Review is the privacy officer's review of a break-glass access.
type Review struct {
	Reviewer string `json:"reviewer"`
	Outcome  string `json:"outcome"`
	NoteHash string `json:"note_hash,omitempty"`
	Height   uint64 `json:"height"`
	Time     int64  `json:"time"`
	TxID     string `json:"tx_id"`
}

// Undelivered is a reader's report that a granted access released nothing.
type Undelivered struct {
	Reason string `json:"reason"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"`
	TxID   string `json:"tx_id"`
}

// Access is one access decision.
type Access struct {
	ID        string `json:"id"` // the access transaction's id
	Record    string `json:"record"`
	Version   uint64 `json:"version"`
	Patient   string `json:"patient"`
	Custodian string `json:"custodian"`
	Reader    string `json:"reader"`
	// ReaderRoles are the reader's roles when the access committed.
	ReaderRoles []string `json:"reader_roles,omitempty"`
	Purpose     string   `json:"purpose"`
	Kind        string   `json:"kind"`
	Consent     string   `json:"consent,omitempty"`
	// ConsentStatus and ConsentVersion are the consent's as the read model
	// held it when the access committed ("" when unknown).
	ConsentStatus  string  `json:"consent_status,omitempty"`
	ConsentVersion uint64  `json:"consent_version,omitempty"`
	BreakGlass     string  `json:"break_glass,omitempty"`
	NoteHash       string  `json:"note_hash,omitempty"`
	Refusal        string  `json:"refusal,omitempty"`
	Expires        int64   `json:"expires,omitempty"` // Unix seconds
	Review         *Review `json:"review,omitempty"`
	// Undelivered is the reader's report that the grant released nothing
	// (delivery.Failures), nil when none was made.
	Undelivered *Undelivered `json:"undelivered,omitempty"`
	Height      uint64       `json:"height"`
	Time        int64        `json:"time"`
	Seq         string       `json:"seq"`
}

func recordKey(id string) string            { return "r/" + id }
func patientRecordsPrefix(p string) string  { return "pr/" + p + "/" }
func consentKey(id string) string           { return "c/" + id }
func patientConsentsPrefix(p string) string { return "pc/" + p + "/" }
func granteeConsentsPrefix(g string) string {
	// ":" for the member's "/": organisation "acme" must not prefix "acme/adjuster".
	return "gc/" + strings.ReplaceAll(g, "/", ":") + "/"
}
func accessKey(id string) string               { return "a/" + id }
func patientAccessPrefix(p string) string      { return "pa/" + p + "/" }
func breakGlassPrefix(custodian string) string { return "bg/" + custodian + "/" }
func consentChangesPrefix(p string) string     { return "pch/" + p + "/" }
func bad(format string, v ...any) error {
	return fmt.Errorf("%w: %s", ErrEvent, fmt.Sprintf(format, v...))
}

func breakGlassKey(custodian string, reviewed bool, seq string) string {
	s := "0/"
	if reviewed {
		s = "1/"
	}
	return breakGlassPrefix(custodian) + s + seq
}

// Module returns the read-model module.
func Module() readmodel.Module {
	// Version 2: readers' roles on accesses, undelivered reports, consents
	// by grantee.
	return readmodel.Module{Name: ModuleName, Version: 2, Block: applyBlock}
}

func applyBlock(w *readmodel.Txn, b *api.Block) error {
	return readmodel.EachEvent(b, []string{recordvocab.Name, consentvocab.Name}, func(e readmodel.CallEvent) error {
		return applyEvent(w, e)
	})
}

func applyEvent(w *readmodel.Txn, e readmodel.CallEvent) error {
	switch e.Contract + "." + e.Type {
	case recordvocab.Name + "." + recordvocab.EventRegistered:
		return registered(w, e)
	case recordvocab.Name + "." + recordvocab.EventErased:
		return erased(w, e)
	case recordvocab.Name + "." + recordvocab.EventAccessGranted, recordvocab.Name + "." + recordvocab.EventAccessRefused, recordvocab.Name + "." + recordvocab.EventBreakGlass:
		return accessed(w, e)
	case recordvocab.Name + "." + recordvocab.EventBreakGlassReviewed:
		return reviewed(w, e)
	case recordvocab.Name + "." + recordvocab.EventAccessUndelivered:
		return undelivered(w, e)
	case consentvocab.Name + "." + consentvocab.EventGranted, consentvocab.Name + "." + consentvocab.EventRequested:
		return consentCreated(w, e)
	case consentvocab.Name + "." + consentvocab.EventDeclined, consentvocab.Name + "." + consentvocab.EventAmended, consentvocab.Name + "." + consentvocab.EventRevoked:
		return consentChanged(w, e)
	}
	return nil
}

func registered(w *readmodel.Txn, e readmodel.CallEvent) error {
	id := e.Attr(recordvocab.AttrRecord)
	v, err := strconv.ParseUint(e.Attr(recordvocab.AttrVersion), 10, 64)
	if err != nil {
		return bad("record_registered version %q", e.Attr(recordvocab.AttrVersion))
	}
	r, ok, err := readmodel.LoadJSON[Record](w, recordKey(id))
	if err != nil {
		return err
	}
	if !ok {
		r = &Record{ID: id, Patient: e.Attr(recordvocab.AttrPatient), Custodian: e.Attr(recordvocab.AttrCustodian),
			Category: e.Attr(recordvocab.AttrCategory),
			Versions: []Version{}, Height: e.Height, Time: e.Time}
		w.Put(patientRecordsPrefix(r.Patient)+id, []byte(id))
	}
	if v != uint64(len(r.Versions))+1 {
		return bad("record %q version %d after %d", id, v, len(r.Versions))
	}
	r.Versions = append(r.Versions,
		Version{Version: v, CiphertextHash: e.Attr(recordvocab.AttrCiphertextHash), Registrar: e.Sender,
			Height: e.Height, Time: e.Time, TxID: e.TxID})
	return w.PutJSON(recordKey(id), r)
}

func erased(w *readmodel.Txn, e readmodel.CallEvent) error {
	r, err := readmodel.MustLoadJSON[Record](w, recordKey(e.Attr(recordvocab.AttrRecord)), ErrEvent, "record "+e.Attr(recordvocab.AttrRecord))
	if err != nil {
		return err
	}
	r.Erased, r.ErasedBy, r.ErasedHeight = true, e.Attr(recordvocab.AttrBy), e.Height
	return w.PutJSON(recordKey(r.ID), r)
}

func accessed(w *readmodel.Txn, e readmodel.CallEvent) error {
	ac := &Access{ID: e.Attr(recordvocab.AttrAccess), Record: e.Attr(recordvocab.AttrRecord),
		Patient: e.Attr(recordvocab.AttrPatient), Custodian: e.Attr(recordvocab.AttrCustodian),
		Reader: e.Attr(recordvocab.AttrReader), Purpose: e.Attr(recordvocab.AttrPurpose), Height: e.Height,
		Time: e.Time, Seq: readmodel.Seq(e.Height, e.Tx)}
	if _, ok, err := w.Get(accessKey(ac.ID)); err != nil {
		return err
	} else if ok || ac.ID == "" {
		return bad("access event for access %q, which is empty or indexed", ac.ID)
	}
	var err error
	if ac.Version, err = strconv.ParseUint(e.Attr(recordvocab.AttrVersion), 10, 64); err != nil {
		return bad("access version %q", e.Attr(recordvocab.AttrVersion))
	}
	if m, ok, err := w.CoreMember(ac.Reader); err != nil {
		return err
	} else if ok {
		ac.ReaderRoles = m.Roles
	}
	exp := func() error {
		if ac.Expires, err = strconv.ParseInt(e.Attr(recordvocab.AttrExpires), 10, 64); err != nil {
			return bad("access expires %q", e.Attr(recordvocab.AttrExpires))
		}
		return nil
	}
	switch e.Type {
	case recordvocab.EventAccessGranted:
		ac.Kind, ac.Consent = AccessGranted, e.Attr(recordvocab.AttrConsent)
		if err := exp(); err != nil {
			return err
		}
	case recordvocab.EventAccessRefused:
		ac.Kind, ac.Consent, ac.Refusal = AccessRefused, e.Attr(recordvocab.AttrConsent), e.Attr(recordvocab.AttrReason)
		if ac.Consent == "" && e.Args != nil && e.Args.Has(recordvocab.ArgBreakGlass) {
			ac.BreakGlass, _ = e.Args.String(recordvocab.ArgBreakGlass)
		}
	case recordvocab.EventBreakGlass:
		ac.Kind, ac.BreakGlass = AccessBreakGlass, e.Attr(recordvocab.AttrReason)
		if err := exp(); err != nil {
			return err
		}
		if e.Args != nil && e.Args.Has(recordvocab.ArgNoteHash) {
			h, err := e.Args.Bytes(recordvocab.ArgNoteHash)
			if err != nil {
				return bad("access note_hash: %v", err)
			}
			ac.NoteHash = hex.EncodeToString(h)
		}
		w.Put(breakGlassKey(ac.Custodian, false, ac.Seq), []byte(ac.ID))
	}
	if ac.Consent != "" {
		if c, ok, err := readmodel.LoadJSON[Consent](w, consentKey(ac.Consent)); err != nil {
			return err
		} else if ok && c.Patient == ac.Patient {
			ac.ConsentStatus, ac.ConsentVersion = c.Status, c.Version
		}
	}
	w.Put(patientAccessPrefix(ac.Patient)+ac.Seq, []byte(ac.ID))
	return w.PutJSON(accessKey(ac.ID), ac)
}

func undelivered(w *readmodel.Txn, e readmodel.CallEvent) error {
	ac, err := readmodel.MustLoadJSON[Access](w, accessKey(e.Attr(recordvocab.AttrAccess)), ErrEvent, "access "+e.Attr(recordvocab.AttrAccess))
	if err != nil {
		return err
	}
	if ac.Kind == AccessRefused || ac.Undelivered != nil {
		return bad("delivery report of access %s (%s, reported %v)", ac.ID, ac.Kind, ac.Undelivered != nil)
	}
	ac.Undelivered = &Undelivered{Reason: e.Attr(recordvocab.AttrReason), Height: e.Height, Time: e.Time, TxID: e.TxID}
	return w.PutJSON(accessKey(ac.ID), ac)
}

func reviewed(w *readmodel.Txn, e readmodel.CallEvent) error {
	ac, err := readmodel.MustLoadJSON[Access](w, accessKey(e.Attr(recordvocab.AttrAccess)), ErrEvent, "access "+e.Attr(recordvocab.AttrAccess))
	if err != nil {
		return err
	}
	if ac.Kind != AccessBreakGlass || ac.Review != nil {
		return bad("review of access %s (%s, reviewed %v)", ac.ID, ac.Kind, ac.Review != nil)
	}
	ac.Review = &Review{Reviewer: e.Attr(recordvocab.AttrReviewer), Outcome: e.Attr(recordvocab.AttrOutcome),
		Height: e.Height, Time: e.Time, TxID: e.TxID}
	if e.Args != nil && e.Args.Has(recordvocab.ArgNoteHash) {
		h, err := e.Args.Bytes(recordvocab.ArgNoteHash)
		if err != nil {
			return bad("review note_hash: %v", err)
		}
		ac.Review.NoteHash = hex.EncodeToString(h)
	}
	w.Delete(breakGlassKey(ac.Custodian, false, ac.Seq))
	w.Put(breakGlassKey(ac.Custodian, true, ac.Seq), []byte(ac.ID))
	return w.PutJSON(accessKey(ac.ID), ac)
}

func optArg(args tx.Args, name, def string) string {
	if args == nil || !args.Has(name) {
		return def
	}
	s, err := args.String(name)
	if err != nil {
		return def
	}
	return s
}

func consentCreated(w *readmodel.Txn, e readmodel.CallEvent) error {
	id := e.Attr(consentvocab.AttrConsent)
	c, exists, err := readmodel.LoadJSON[Consent](w, consentKey(id))
	if err != nil {
		return err
	}
	ch := ConsentChange{By: e.Sender, Height: e.Height, Time: e.Time, TxID: e.TxID}
	if exists { // the patient accepting a request
		if e.Type != consentvocab.EventGranted || c.Status != consentvocab.StatusProposed {
			return bad("consent %q created twice", id)
		}
		c.Status, c.GrantedHeight, c.Updated = consentvocab.StatusActive, e.Height, e.Height
		ch.Kind = "accepted"
		c.History = append(c.History, ch)
		putConsentChange(w, c.Patient, e, id)
		return w.PutJSON(consentKey(id), c)
	}
	if e.Args == nil {
		return bad("%s outside a consent call", e.Type)
	}
	c = &Consent{ID: id, Patient: e.Attr(consentvocab.AttrPatient), Grantee: e.Attr(consentvocab.AttrGrantee),
		Purpose: e.Attr(consentvocab.AttrPurpose), Requester: e.Attr(consentvocab.AttrRequester),
		Records: []string{}, Categories: []string{}, History: []ConsentChange{}, Height: e.Height, Time: e.Time, Updated: e.Height,
		Scope:     optArg(e.Args, consentvocab.ArgScope, "patient-privacy"),
		Category:  optArg(e.Args, consentvocab.ArgCategory, "59284-0"),
		ActorRole: optArg(e.Args, consentvocab.ArgActorRole, "IRCP")}
	if e.Args.Has(consentvocab.ArgRecords) {
		if c.Records, err = e.Args.Strings(consentvocab.ArgRecords); err != nil {
			return bad("consent records: %v", err)
		}
	}
	if e.Args.Has(consentvocab.ArgCategories) {
		if c.Categories, err = e.Args.Strings(consentvocab.ArgCategories); err != nil {
			return bad("consent categories: %v", err)
		}
	}
	if c.Start, err = e.Args.Int(consentvocab.ArgStart); err != nil {
		return bad("consent start: %v", err)
	}
	if c.End, err = strconv.ParseInt(e.Attr(consentvocab.AttrEnd), 10, 64); err != nil {
		return bad("consent end %q", e.Attr(consentvocab.AttrEnd))
	}
	if e.Type == consentvocab.EventRequested {
		c.Status, ch.Kind = consentvocab.StatusProposed, "requested"
	} else {
		c.Status, c.GrantedHeight, ch.Kind = consentvocab.StatusActive, e.Height, "granted"
	}
	c.History = append(c.History, ch)
	w.Put(patientConsentsPrefix(c.Patient)+readmodel.Seq(e.Height, e.Tx), []byte(id))
	w.Put(granteeConsentsPrefix(c.Grantee)+readmodel.Seq(e.Height, e.Tx), []byte(id))
	putConsentChange(w, c.Patient, e, id)
	return w.PutJSON(consentKey(id), c)
}

func consentChanged(w *readmodel.Txn, e readmodel.CallEvent) error {
	c, err := readmodel.MustLoadJSON[Consent](w, consentKey(e.Attr(consentvocab.AttrConsent)), ErrEvent, "consent "+e.Attr(consentvocab.AttrConsent))
	if err != nil {
		return err
	}
	ch := ConsentChange{By: e.Sender, Height: e.Height, Time: e.Time, TxID: e.TxID}
	switch e.Type {
	case consentvocab.EventDeclined:
		c.Status, ch.Kind = consentvocab.StatusRejected, "declined"
	case consentvocab.EventRevoked:
		c.Status, c.RevokedHeight, ch.Kind = consentvocab.StatusRevoked, e.Height, "revoked"
	case consentvocab.EventAmended:
		ch.Kind = "amended"
		c.Purpose = e.Attr(consentvocab.AttrPurpose)
		s, err1 := strconv.ParseInt(e.Attr(consentvocab.AttrStart), 10, 64)
		en, err2 := strconv.ParseInt(e.Attr(consentvocab.AttrEnd), 10, 64)
		v, err3 := strconv.ParseUint(e.Attr(consentvocab.AttrVersion), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return bad("consent_amended attributes")
		}
		c.Start, c.End, c.Version = s, en, v
	}
	c.Updated = e.Height
	c.History = append(c.History, ch)
	putConsentChange(w, c.Patient, e, c.ID)
	return w.PutJSON(consentKey(c.ID), c)
}

// putConsentChange indexes a change of one of patient's consents by
// block and transaction, for following a patient's consents block by
// block (Reader.ConsentChangesAt).
func putConsentChange(w *readmodel.Txn, patient string, e readmodel.CallEvent, consent string) {
	w.Put(consentChangesPrefix(patient)+readmodel.Seq(e.Height, e.Tx)+"/"+consent, []byte(consent))
}
