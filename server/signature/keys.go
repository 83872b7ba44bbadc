package signature

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyBits is the size of keys made by [GenerateKey].
const KeyBits = 2048

// GenerateKey returns a new RSA-2048 key, the kind every fediverse server can verify.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	return k, nil
}

// ParsePublicKeyPEM parses the first PEM block of s, as actors publish it in
// publicKey.publicKeyPem: "PUBLIC KEY" (PKIX, RSA or Ed25519) or "RSA PUBLIC KEY" (PKCS #1).
// Surrounding whitespace and \r\n line ends are tolerated. It returns an *rsa.PublicKey or an
// ed25519.PublicKey.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))))
	if block == nil {
		return nil, errors.New("parse public key: no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		switch k := k.(type) {
		case *rsa.PublicKey, ed25519.PublicKey:
			return k, nil
		default:
			return nil, fmt.Errorf("parse public key: unsupported key type %T", k)
		}
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("parse public key: unexpected PEM type %q", block.Type)
	}
}

// EncodePublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block, the form for publicKeyPem.
func EncodePublicKeyPEM(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// EncodePrivateKeyPEM encodes key as a PKCS #8 "PRIVATE KEY" PEM block.
func EncodePrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("encode private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKeyPEM parses an RSA private key from a PKCS #8 "PRIVATE KEY" or PKCS #1
// "RSA PRIVATE KEY" PEM block.
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))))
	if block == nil {
		return nil, errors.New("parse private key: no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("parse private key: %T is not RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("parse private key: unexpected PEM type %q", block.Type)
	}
}
