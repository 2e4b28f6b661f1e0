package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"

	"hearth/instance"
)

// keyring hands out each local actor's RSA-2048 key pair, generating it
// the first time it is needed and storing it, so keys stay stable across
// restarts (Mastodon re-follows when a key changes).
type keyring struct {
	store Store
	now   instance.Clock
	mu    sync.Mutex
	keys  map[instance.Signer]*localKey
}

type localKey struct {
	private   *rsa.PrivateKey
	publicPEM string
}

func newKeyring(st Store, now instance.Clock) *keyring {
	return &keyring{store: st, now: now, keys: map[instance.Signer]*localKey{}}
}

// get returns the key of a local actor.
func (k *keyring) get(ctx context.Context, actor instance.Signer) (*localKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[actor]; ok {
		return key, nil
	}
	privPEM, pubPEM, err := k.store.ActorKey(ctx, actor)
	if errors.Is(err, instance.ErrNotFound) {
		if err := k.generate(ctx, actor); err != nil {
			return nil, err
		}
		privPEM, pubPEM, err = k.store.ActorKey(ctx, actor)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: key for %s: %w", actor, err)
	}
	block, _ := pem.Decode([]byte(privPEM))
	if block == nil {
		return nil, fmt.Errorf("federation: key for %s: bad PEM", actor)
	}
	priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("federation: key for %s: %w", actor, err)
	}
	key := &localKey{private: priv, publicPEM: pubPEM}
	k.keys[actor] = key
	return key, nil
}

func (k *keyring) generate(ctx context.Context, actor instance.Signer) error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("federation: generate key for %s: %w", actor, err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return fmt.Errorf("federation: generate key for %s: %w", actor, err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	return k.store.SaveActorKey(ctx, actor, string(privPEM), string(pubPEM), k.now())
}

// parsePublicKey reads a PEM public key (PKIX, or PKCS#1 as some servers
// send).
func parsePublicKey(p string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errNoKey
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, errNoKey
	}
	if rk, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return rk, nil
	}
	return nil, errNoKey
}
