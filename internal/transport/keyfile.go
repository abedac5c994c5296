package transport

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadKeyPair reads a PEM certificate (chain) and its PEM private key, which
// may be encrypted: PKCS #8 "ENCRYPTED PRIVATE KEY" (what OpenSSL 3 writes,
// PBES2 with PBKDF2 and AES-CBC) or legacy "Proc-Type: 4,ENCRYPTED" PEM.
// Errors name the file and what to do, never the passphrase or key bytes.
func LoadKeyPair(certFile, keyFile string, passphrase []byte) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, errors.New("a client certificate needs both the certificate file and the key file (CLI: --cert and --key)")
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("reading the certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("reading the private key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return tls.Certificate{}, fmt.Errorf("key file %s holds no PEM block; pass the private key in PEM (-----BEGIN ... PRIVATE KEY-----)", keyFile)
	}
	encrypted := block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED")
	if encrypted {
		if len(passphrase) == 0 {
			return tls.Certificate{}, fmt.Errorf("key file %s is encrypted: give its passphrase (WithKeyPassphrase; CLI: --key-passphrase-file or MQTTKIT_KEY_PASSPHRASE)", keyFile)
		}
		der, err := decryptKey(block, passphrase)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("decrypting key file %s: %w", keyFile, err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}
