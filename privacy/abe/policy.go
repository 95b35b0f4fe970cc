package abe

import (
	"fmt"
	"strings"
)

// Limits on policies and attributes. A wrapped key grows by about 1.1 KiB per
// attribute literal in its policy (tkn20 ciphertexts are linear in the
// policy), and wrapped keys travel in ledger transactions, so policies are
// kept small.
const (
	// MaxPolicyLen is the longest policy string accepted, in bytes.
	MaxPolicyLen = 2048
	// MaxPolicyLiterals is the most "label: value" literals in a policy
	// (about 19 KiB of wrapped key at the limit).
	MaxPolicyLiterals = 16
	// MaxPolicyDepth bounds the nesting of parentheses and "not".
	MaxPolicyDepth = 16
	// MaxTokenLen is the longest attribute label or value, in bytes.
	MaxTokenLen = 64
	// MaxAttributes is the most attributes one key may carry.
	MaxAttributes = 32
)

// isTokenChar reports whether c may appear in an attribute label or value:
// tkn20's lexer accepts exactly [A-Za-z0-9_].
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// checkToken validates an attribute label or value.
func checkToken(what, s string) error {
	if s == "" || len(s) > MaxTokenLen {
		return fmt.Errorf("%s must be 1..%d characters", what, MaxTokenLen)
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return fmt.Errorf("%s %q: only letters, digits and '_' are allowed", what, s)
		}
	}
	switch s {
	case "and", "or", "not":
		return fmt.Errorf("%s %q is a policy keyword", what, s)
	}
	return nil
}

// policyToken is one lexeme of a policy.
type policyToken struct {
	kind byte // '(', ')', ':', 'i' identifier, 'a' and, 'o' or, 'n' not, 0 end
	text string
	pos  int
}

func lexPolicy(s string) ([]policyToken, error) {
	var toks []policyToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(' || c == ')' || c == ':':
			toks = append(toks, policyToken{kind: c, text: s[i : i+1], pos: i})
			i++
		case isTokenChar(c):
			j := i
			for j < len(s) && isTokenChar(s[j]) {
				j++
			}
			t := policyToken{kind: 'i', text: s[i:j], pos: i}
			switch t.text {
			case "and":
				t.kind = 'a'
			case "or":
				t.kind = 'o'
			case "not":
				t.kind = 'n'
			}
			toks = append(toks, t)
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return append(toks, policyToken{kind: 0, text: "end of policy", pos: len(s)}), nil
}

// policyParser recognises the policy grammar:
//
//	policy  = or EOF
//	or      = and { "or" and }
//	and     = not { "and" not }
//	not     = "not" not | "(" or ")" | literal
//	literal = token ":" token
//
// It builds nothing: tkn20 builds the policy. It exists because tkn20's own
// parser stops at the first token it cannot use and silently ignores the
// rest ("org: a (role: b)" parses as "org: a"), which would turn a typo into
// a weaker policy.
type policyParser struct {
	toks     []policyToken
	i        int
	depth    int
	literals int
}

func (p *policyParser) peek() policyToken { return p.toks[p.i] }

func (p *policyParser) errorf(format string, args ...any) error {
	t := p.peek()
	return fmt.Errorf("at offset %d (%q): %s", t.pos, t.text, fmt.Sprintf(format, args...))
}

func (p *policyParser) or() error { return p.chain('o', p.and) }

func (p *policyParser) and() error { return p.chain('a', p.not) }

// chain recognises operand { op operand }.
func (p *policyParser) chain(op byte, operand func() error) error {
	if err := operand(); err != nil {
		return err
	}
	for p.peek().kind == op {
		p.i++
		if err := operand(); err != nil {
			return err
		}
	}
	return nil
}

func (p *policyParser) not() error {
	switch t := p.peek(); t.kind {
	case 'n', '(':
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > MaxPolicyDepth {
			return p.errorf("nested deeper than %d", MaxPolicyDepth)
		}
		p.i++
		if t.kind == 'n' {
			return p.not()
		}
		if err := p.or(); err != nil {
			return err
		}
		if p.peek().kind != ')' {
			return p.errorf("expected ')'")
		}
		p.i++
		return nil
	case 'i':
		return p.literal()
	default:
		return p.errorf("expected \"label: value\", \"not\" or '('")
	}
}

func (p *policyParser) literal() error {
	label := p.peek()
	if err := checkToken("attribute label", label.text); err != nil {
		return p.errorf("%v", err)
	}
	p.i++
	if p.peek().kind != ':' {
		return p.errorf("expected ':' after attribute label")
	}
	p.i++
	value := p.peek()
	if value.kind != 'i' {
		return p.errorf("expected attribute value")
	}
	if err := checkToken("attribute value", value.text); err != nil {
		return p.errorf("%v", err)
	}
	p.i++
	p.literals++
	if p.literals > MaxPolicyLiterals {
		return p.errorf("more than %d attribute literals", MaxPolicyLiterals)
	}
	return nil
}

// CheckPolicy validates a policy string against the grammar and limits that
// WrapKey enforces, without encrypting anything. Errors wrap ErrInvalid.
func CheckPolicy(policy string) error {
	if strings.TrimSpace(policy) == "" {
		return fmt.Errorf("%w: empty policy", ErrInvalid)
	}
	if len(policy) > MaxPolicyLen {
		return fmt.Errorf("%w: policy is %d bytes, limit %d", ErrInvalid, len(policy), MaxPolicyLen)
	}
	toks, err := lexPolicy(policy)
	if err != nil {
		return fmt.Errorf("%w: policy: %v", ErrInvalid, err)
	}
	p := &policyParser{toks: toks}
	if err := p.or(); err != nil {
		return fmt.Errorf("%w: policy: %v", ErrInvalid, err)
	}
	if p.peek().kind != 0 {
		return fmt.Errorf("%w: policy: %v", ErrInvalid, p.errorf("expected \"and\", \"or\", ')' or end of policy"))
	}
	return nil
}
