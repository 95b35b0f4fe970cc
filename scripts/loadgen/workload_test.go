package main

import (
	"flag"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/testseed"
)

var campaignSeed = flag.Uint64("campaign-seed", 0, "seed of TestGiftCampaigns (0: random)")

// Every gift lands on a campaign that was set up, no campaign takes more
// than perCampaign gifts, and gifts in a row spread over hotCampaigns.
func TestGiftCampaigns(t *testing.T) {
	r := testseed.Rand(t, *campaignSeed, "-campaign-seed")
	for range 200 {
		gifts, per := 1+r.IntN(20000), 1+r.IntN(600)
		n := campaignsFor(gifts, per)
		if n%hotCampaigns != 0 || n < hotCampaigns {
			t.Fatalf("campaignsFor(%d, %d) = %d: not a positive multiple of %d", gifts, per, n, hotCampaigns)
		}
		if n > hotCampaigns+gifts/per*hotCampaigns+hotCampaigns {
			t.Fatalf("campaignsFor(%d, %d) = %d: more than the gifts need", gifts, per, n)
		}
		took := make([]int, n)
		for j := range gifts {
			c := giftCampaign(j, per)
			if c < 0 || c >= n {
				t.Fatalf("gifts %d, %d per campaign: gift %d goes to campaign %d of %d", gifts, per, j, c, n)
			}
			if took[c]++; took[c] > per {
				t.Fatalf("gifts %d: campaign %d takes more than %d", gifts, c, per)
			}
			if j > 0 && j%hotCampaigns != 0 && c != giftCampaign(j-1, per)+1 {
				t.Fatalf("gift %d goes to campaign %d after %d: not round the hot campaigns", j, c, giftCampaign(j-1, per))
			}
		}
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	p := pacer{start: start, every: 250 * time.Millisecond}
	for k, want := range []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 10 * time.Second} {
		if k == 3 {
			k = 40
		}
		if got := p.due(k).Sub(start); got != want {
			t.Errorf("due(%d) = start+%v, want start+%v", k, got, want)
		}
	}
}
