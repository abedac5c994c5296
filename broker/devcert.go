package broker

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// DevCA is a certificate authority for development and tests: it issues
// server certificates for the TLS listeners and client certificates for
// mutual TLS, so that a secure setup is one command (`mqttkit broker cert`)
// instead of an OpenSSL session. Its key lives in memory (and in the file
// the caller writes): it is no substitute for a real CA.
type DevCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	// CertPEM is the CA certificate clients trust (WithCAFile, --cafile)
	// and the broker checks client certificates against (ClientCAFile).
	CertPEM []byte
}

// NewDevCA creates a CA named name, valid for validity from now.
func NewDevCA(name string, validity time.Duration) (*DevCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"mqttkit development"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &DevCA{cert: cert, key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// KeyPEM returns the CA's private key (PKCS #8 PEM), to keep it for issuing
// more certificates later with LoadDevCA.
func (ca *DevCA) KeyPEM() ([]byte, error) { return keyPEM(ca.key) }

// LoadDevCA reads a CA written from CertPEM and KeyPEM.
func LoadDevCA(certPEM, keyPEMBytes []byte) (*DevCA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEMBytes)
	if cb == nil || kb == nil {
		return nil, errors.New("broker: the CA certificate or key is not PEM; pass the ca.pem and ca.key that `mqttkit broker cert` wrote")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("broker: CA certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("broker: CA key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || !cert.IsCA {
		return nil, errors.New("broker: the CA files do not hold a CA certificate and its signing key")
	}
	return &DevCA{cert: cert, key: signer, CertPEM: certPEM}, nil
}

// Validity is the period a certificate is valid for. Tests use one in the
// past to get an expired certificate.
type Validity struct {
	NotBefore, NotAfter time.Time
}

// ValidFor returns a Validity from an hour ago (clock skew) until d from now.
func ValidFor(d time.Duration) Validity {
	return Validity{NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(d)}
}

// IssueServer issues a server certificate for hosts (DNS names and IP
// addresses) and returns it and its key in PEM.
func (ca *DevCA) IssueServer(hosts []string, v Validity) (certPEM, keyPEMBytes []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, errors.New("broker: a server certificate needs at least one host name or IP address")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tmpl, v)
}

// IssueClient issues a client certificate whose Common Name is name (the
// username with Config.CertificateIdentityAsUsername).
func (ca *DevCA) IssueClient(name string, v Validity) (certPEM, keyPEMBytes []byte, err error) {
	if name == "" {
		return nil, nil, errors.New("broker: a client certificate needs a name (its Common Name)")
	}
	return ca.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, v)
}

func (ca *DevCA) issue(tmpl *x509.Certificate, v Validity) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = v.NotBefore, v.NotAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, err
	}
	kp, err := keyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), kp, nil
}

func keyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
