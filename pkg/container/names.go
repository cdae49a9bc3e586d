package container

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/lumper/lumper/pkg/client"
)

var (
	adjectives = []string{"brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nimble", "proud", "quick", "quiet", "sharp", "steady", "swift", "tidy", "witty", "bold", "bright", "cosy", "daring"}
	nouns      = []string{"otter", "falcon", "badger", "heron", "lynx", "marten", "panda", "quail", "raven", "salmon", "tiger", "walrus", "yak", "zebra", "beaver", "cobra", "dingo", "eagle", "ferret", "gecko", "ibis", "jackal", "koala", "lemur"}
)

// reserveGeneratedName picks a free adjective_noun name and reserves it.
func reserveGeneratedName(ctx context.Context, c *client.Client, id string) (string, context.Context, error) {
	var err error
	for i := 0; i < 20; i++ {
		name := adjectives[rand.IntN(len(adjectives))] + "_" + nouns[rand.IntN(len(nouns))]
		if i >= 5 {
			name += "_" + id[:4+i%8]
		}
		var lctx context.Context
		if lctx, err = c.ReserveName(ctx, name, id); err == nil {
			return name, lctx, nil
		}
		if !errors.Is(err, client.ErrNameInUse) {
			return "", ctx, err
		}
	}
	return "", ctx, err
}
