package patientgql

import (
	"slices"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/readmodel"
)

// registerSubscription adds accessAlerts(patient): every new access
// decision on the patient's records (granted, refused, break-glass) as its
// block is applied — the alert a patient gets when someone reads their
// data, or tries to. Access is checked when the subscription starts, with
// the access log's rule, and again per entry.
func (m *mod) registerSubscription(b *schema.Builder) error {
	return b.Subscription("accessAlerts", &graphql.Field{Type: nn(m.access),
		Description: "New access decisions on a patient's records as they commit (who may read the access log).",
		Args:        graphql.FieldConfigArgument{"patient": {Type: graphql.ID, Description: "The patient (default: the viewer)."}},
		Subscribe: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			_, patient, err := m.patientArg(ctx, p.Args, "access_log", "read", "the access log")
			if err != nil {
				return nil, err
			}
			sub := m.cfg.Blocks.Subscribe(m.cfg.SubscriptionBuffer)
			return schema.Stream(ctx, sub, nil, func(blk *readmodel.Block) ([]any, error) {
				// The log is newest first; this block's entries lead it.
				const window = 64
				log, _, err := m.rd.AccessLog(patient, "", window)
				if err != nil {
					m.log.ErrorContext(ctx, "accessAlerts subscription", "height", blk.Height, "err", err)
					return nil, err
				}
				var fresh []any
				for _, a := range slices.Backward(log) { // oldest first
					if a.Height != blk.Height {
						continue
					}
					if ok, err := m.cfg.Allowed(ctx, schema.Question{Obj: "access_log", Act: "read", Owner: a.Patient, Org: a.Custodian}); err == nil && ok {
						fresh = append(fresh, a)
					}
				}
				return fresh, nil
			}), nil
		},
	})
}
