package patientgql

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/api"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
)

// Break-glass notes (docs/security.md, "Break-glass notes"): the
// physician's written reason and the privacy officer's review note stay
// off the ledger, which keeps their SHA-256. The writer's portal seals a
// note for the custodian organisation's nodes and delivers it through its
// own node (records.SendNote); the custodian's portal fetches it for those
// the policy lets read the break-glass queue, opens it and checks it
// against the ledger's hash (records.OpenNote). No note text is logged or
// indexed.

// noteDelivery is what became of a note sent with a mutation.
type noteDelivery struct{ err *schema.Error }

// accessNote is a note as the custodian released it.
type accessNote struct {
	text    string
	ok      bool
	problem string
}

// withNote adds what became of the note nd (nil: none was given) to err,
// the answer of a break-glass read whose record was not delivered: the
// physician learns whether the privacy officer got the note, and how to
// send it again when not.
func withNote(err error, nd *noteDelivery, access tx.ID) error {
	var e *schema.Error
	if nd == nil || !errors.As(err, &e) {
		return err
	}
	out := *e
	if nd.err == nil {
		out.Message += ". Your note reached the custodian's privacy officer"
	} else {
		out.Message += ". Your note did not reach the custodian either (" + nd.err.Message + "): send it again with " +
			"sendAccessNote(access: \"" + access.String() + "\")"
	}
	return &out
}

// noteArg returns the note argument: "" when absent or blank, else the
// text, at most api.MaxNoteBytes of UTF-8.
func noteArg(in map[string]any) (string, error) {
	s, _ := in["note"].(string)
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	if !utf8.ValidString(s) {
		return "", schema.BadInput("the note must be text (UTF-8)")
	}
	if len(s) > api.MaxNoteBytes {
		return "", schema.BadInput("the note is too long: at most " + strconv.Itoa(api.MaxNoteBytes) + " bytes")
	}
	return s, nil
}

// hashedNote returns the note argument (noteArg) and, when there is one,
// sets in["noteHash"] to its hex SHA-256 (what the ledger keeps); a
// noteHash given beside the note must be that hash.
func hashedNote(in map[string]any) (string, error) {
	note, err := noteArg(in)
	if err != nil || note == "" {
		return note, err
	}
	h := sha256.Sum256([]byte(note))
	want := hex.EncodeToString(h[:])
	if given, ok := in["noteHash"].(string); ok && !strings.EqualFold(given, want) {
		return "", schema.BadInput("noteHash is not the SHA-256 of note (give the note alone)")
	}
	in["noteHash"] = want
	return note, nil
}

// buildNoteTypes builds NoteDelivery and AccessNote and adds note and
// reviewNote to RecordAccess.
func (m *mod) buildNoteTypes() {
	m.noteDelivery = graphql.NewObject(graphql.ObjectConfig{Name: "NoteDelivery",
		Description: "What became of a note sent to the custodian's privacy officer (off the ledger, which keeps its SHA-256).",
		Fields: graphql.Fields{
			"delivered": field(nn(graphql.Boolean), func(d *noteDelivery) any { return d.err == nil },
				"True when the custodian keeps the note."),
			"error": field(graphql.String, func(d *noteDelivery) any {
				if d.err == nil {
					return nil
				}
				return d.err.Message
			}, "Why it was not delivered; send it again with sendAccessNote."),
			"code": field(graphql.String, func(d *noteDelivery) any {
				if d.err == nil {
					return nil
				}
				return d.err.Code
			}, "The error's code (UNAVAILABLE: try again; CONFLICT: the custodian already has it)."),
		}})
	m.accessNote = graphql.NewObject(graphql.ObjectConfig{Name: "AccessNote",
		Description: "An off-ledger note of a break-glass access, as the custodian keeps it, checked against the ledger's SHA-256.",
		Fields: graphql.Fields{
			"text": field(graphql.String, func(n *accessNote) any {
				if !n.ok {
					return nil
				}
				return n.text
			}, "The note (null unless verified)."),
			"verified": field(nn(graphql.Boolean), func(n *accessNote) any { return n.ok },
				"True when the note's SHA-256 is the one on the ledger."),
			"problem": field(graphql.String, func(n *accessNote) any { return schema.OptString(n.problem) },
				"Why there is no verified note (not delivered yet, the custodian unreachable, or a hash that does not match)."),
		}})
	m.access.AddFieldConfig("note", m.noteField(api.NoteReason,
		"The physician's written reason (break-glass accesses with a note hash), for those who may read the custodian's break-glass queue; null otherwise."))
	m.access.AddFieldConfig("reviewNote", m.noteField(api.NoteReview,
		"The privacy officer's review note (reviews with a note hash), for those who may read the custodian's break-glass queue; null otherwise."))
}

// noteField resolves a note of kind of the source access.
func (m *mod) noteField(kind, desc string) *graphql.Field {
	return &graphql.Field{Type: m.accessNote, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		a := p.Source.(accessT)
		want := a.NoteHash
		if kind == api.NoteReview {
			if a.Review == nil {
				return nil, nil
			}
			want = a.Review.NoteHash
		}
		if a.Kind != patients.AccessBreakGlass || want == "" {
			return nil, nil
		}
		v, err := schema.Account(p.Context)
		if err != nil {
			return nil, nil
		}
		q := schema.Question{Obj: api.NoteObject, Act: api.NoteAction, Org: a.Custodian}
		if ok, err := m.cfg.Allowed(p.Context, q); err != nil || !ok {
			return nil, err
		}
		id, err := tx.ParseID(a.ID)
		if err != nil {
			return nil, m.internal(p.Context, "access id", err)
		}
		text, err := m.cfg.Records.OpenNote(p.Context, v, kind, id)
		if err != nil {
			return &accessNote{problem: readProblem(schema.NoteErr(p.Context, m.log, err))}, nil
		}
		h := sha256.Sum256(text)
		if hex.EncodeToString(h[:]) != want {
			return &accessNote{problem: "the note the custodian released does not match the SHA-256 on the ledger"}, nil
		}
		return &accessNote{text: string(text), ok: true}, nil
	}}
}

// readProblem says, to a note's reader, why the custodian released no
// note.
func readProblem(e *schema.Error) string {
	switch e.Code {
	case schema.CodeNotFound:
		return "not delivered yet: the writer's portal has not delivered the note to the custodian"
	case schema.CodeUnavailable:
		return "the custodian's nodes cannot be reached now; try again later"
	case schema.CodeForbidden:
		return "the custodian does not release this note to you"
	}
	return "the custodian did not release the note: " + e.Message
}

// registerNoteMutations adds sendAccessNote and reviewBreakGlass.
func (m *mod) registerNoteMutations(b *schema.Builder) error {
	kind := graphql.NewEnum(graphql.EnumConfig{Name: "AccessNoteKind", Values: graphql.EnumValueConfigMap{
		"REASON": {Value: api.NoteReason, Description: "The break-glass reader's written reason."},
		"REVIEW": {Value: api.NoteReview, Description: "The privacy officer's review note."},
	}})
	err := b.Mutation("sendAccessNote", &graphql.Field{Type: nn(m.noteDelivery),
		Description: "Deliver (again) the off-ledger note of a break-glass access to the custodian: the reason (its reader) or the review note (its reviewer). The note's SHA-256 must be the one committed on the ledger; the custodian keeps a note once (CONFLICT after that).",
		Args: graphql.FieldConfigArgument{
			"access": {Type: nn(graphql.ID), Description: "The break-glass access (its transaction id)."},
			"note":   {Type: nn(graphql.String)},
			"kind":   {Type: kind, DefaultValue: api.NoteReason},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			v, err := schema.Account(p.Context)
			if err != nil {
				return nil, err
			}
			note, err := noteArg(p.Args)
			if err != nil {
				return nil, err
			}
			if note == "" {
				return nil, schema.BadInput("the note is empty")
			}
			k, _ := p.Args["kind"].(string)
			ac, err := schema.Found(p.Context, m.log, "patients: access", m.rd.Access, p.Args["access"].(string))
			if err != nil {
				return nil, err
			}
			if ac == nil {
				return nil, schema.Errorf(schema.CodeNotFound, "no such access (yet): the portal has not indexed it")
			}
			want, writer := ac.NoteHash, ac.Reader
			if k == api.NoteReview {
				if ac.Review == nil {
					return nil, schema.BadInput("the access has no review yet")
				}
				want, writer = ac.Review.NoteHash, ac.Review.Reviewer
			}
			if writer != v {
				return nil, schema.Forbidden("only the access's reader sends its reason, and its reviewer the review note")
			}
			if ac.Kind != patients.AccessBreakGlass || want == "" {
				return nil, schema.BadInput("the ledger holds no note hash for this access: only a break-glass access (or review) " +
					"committed with a note carries one")
			}
			h := sha256.Sum256([]byte(note))
			if hex.EncodeToString(h[:]) != want {
				return nil, schema.BadInput("this note's SHA-256 is not the one committed on the ledger; send the text as written")
			}
			id, err := tx.ParseID(ac.ID)
			if err != nil {
				return nil, m.internal(p.Context, "access id", err)
			}
			if err := m.cfg.Records.SendNote(p.Context, v, ac.Custodian, k, id, note); err != nil {
				return nil, schema.NoteErr(p.Context, m.log, err)
			}
			m.log.InfoContext(p.Context, "break-glass note delivered", "access", ac.ID, "kind", k, "by", v)
			return &noteDelivery{}, nil
		}})
	if err != nil {
		return err
	}
	return b.TxMutation(schema.TxMutation{Name: "reviewBreakGlass", Object: "break_glass", Action: "review",
		Description: "record.review_break_glass: close a break-glass access in the custodian's review queue with a coded outcome (its privacy officers). A note goes to the custodian's own nodes, off the ledger, which keeps its SHA-256 (with a note the mutation waits for the commit); if the review commits but the note cannot be kept, the answer is an error that says so (send it again with sendAccessNote, kind REVIEW).",
		Args: graphql.FieldConfigArgument{
			"access":   {Type: nn(graphql.ID), Description: "The break-glass access (its transaction id)."},
			"outcome":  {Type: nn(graphql.String), Description: "justified, unjustified or referred."},
			"note":     {Type: graphql.String, Description: "The review note (at most 4096 bytes), kept by the custodian off the ledger."},
			"noteHash": {Type: graphql.String, Description: "Hex SHA-256 of an off-ledger note (implied by note)."},
		},
		Plan: func(ctx context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
			note, err := hashedNote(in)
			if err != nil {
				return nil, err
			}
			if note != "" {
				in["wait"] = true // the note goes once the review is on the ledger
			}
			a := &args{schema.ArgReader{In: in}}
			a.Str("access", recordvocab.ArgAccess)
			a.Str("outcome", recordvocab.ArgOutcome)
			a.Hash("noteHash", recordvocab.ArgNoteHash, false)
			if a.Err != nil {
				return nil, a.Err
			}
			plan := &schema.TxPlan{Call: schema.Call{Contract: recordvocab.Name,
				Method: recordvocab.MethodReviewBreakGlass,
				Args:   a.Out}}
			custodian := schema.OrgOf(v) // a privacy officer reviews their own organisation's accesses
			ac, err := schema.Found(ctx, m.log, "patients: access", m.rd.Access, in["access"].(string))
			switch {
			case err != nil:
				return nil, err
			case ac == nil:
				plan.LeftToLedger = "the read model does not hold the access yet"
			default:
				plan.On = []schema.Resource{{Owner: ac.Patient, Org: ac.Custodian}}
				plan.Refused = "only a privacy officer of " + ac.Custodian + " may review its break-glass accesses"
				custodian = ac.Custodian
			}
			if note != "" {
				plan.Done = func(ctx context.Context, res *schema.TxResult, err error) (any, error) {
					return m.reviewNoteDone(ctx, v, custodian, in["access"].(string), note, res, err)
				}
			}
			return plan, nil
		}})
}

// reviewNoteDone keeps the review note of a review that committed.
func (m *mod) reviewNoteDone(ctx context.Context, v, custodian, access, note string, res *schema.TxResult,
	err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if res.Status != api.StatusCommitted || res.Receipt == nil || !res.Receipt.OK() {
		return res, nil // the review is not on the ledger: nor is its note
	}
	id, err := tx.ParseID(access)
	if err != nil {
		return nil, schema.BadInput("access must be a transaction id")
	}
	if err := m.cfg.Records.SendNote(ctx, v, custodian, api.NoteReview, id, note); err != nil {
		e := schema.NoteErr(ctx, m.log, err)
		return nil, schema.Errorf(e.Code, "the review is committed ("+res.ID.String()+") but its note is not kept: "+
			e.Message+"; send it again with sendAccessNote(kind: REVIEW)")
	}
	return res, nil
}
