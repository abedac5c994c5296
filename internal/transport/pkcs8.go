package transport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// errWrongPassphrase is what a wrong passphrase looks like after
// decryption: padding or key structure that does not parse.
var errWrongPassphrase = errors.New("wrong passphrase (or a damaged key file)")

// decryptKey returns the PKCS #8 DER of an encrypted PEM key block.
func decryptKey(block *pem.Block, passphrase []byte) ([]byte, error) {
	if block.Type != "ENCRYPTED PRIVATE KEY" {
		// Legacy OpenSSL PEM encryption: insecure by design (MD5 key
		// derivation) but still what old tooling writes, so it is read,
		// never written.
		der, err := x509.DecryptPEMBlock(block, passphrase) //nolint:staticcheck // reading legacy keys only
		if err != nil {
			return nil, errWrongPassphrase
		}
		return toPKCS8(der, block.Type)
	}
	return decryptPBES2(block.Bytes, passphrase)
}

// toPKCS8 re-encodes a legacy PKCS #1 or SEC 1 key as PKCS #8.
func toPKCS8(der []byte, typ string) ([]byte, error) {
	var key any
	var err error
	switch typ {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(der)
	default:
		return der, nil
	}
	if err != nil {
		return nil, errWrongPassphrase
	}
	return x509.MarshalPKCS8PrivateKey(key)
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type algorithm struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm algorithm
	Data      []byte
}

type pbes2Params struct {
	KDF    algorithm
	Cipher algorithm
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int       `asn1:"optional"`
	PRF        algorithm `asn1:"optional"`
}

// decryptPBES2 decrypts an EncryptedPrivateKeyInfo (RFC 5958) protected
// with PBES2 (RFC 8018): PBKDF2 with HMAC-SHA1/256/512 and AES-CBC.
func decryptPBES2(der, passphrase []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("not a PKCS #8 encrypted key: %v", err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("key encryption %v is not supported; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`", info.Algorithm.Algorithm)
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &p); err != nil || !p.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, errors.New("key encryption: only PBES2 with PBKDF2 is supported; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("key encryption: PBKDF2 parameters: %v", err)
	}
	var prf func() hash.Hash
	switch {
	case len(kdf.PRF.Algorithm) == 0 || kdf.PRF.Algorithm.Equal(oidHMACSHA1):
		prf = sha1.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA256):
		prf = sha256.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("key encryption: PBKDF2 with %v is not supported; use HMAC-SHA256", kdf.PRF.Algorithm)
	}
	var keyLen int
	switch {
	case p.Cipher.Algorithm.Equal(oidAES128CBC):
		keyLen = 16
	case p.Cipher.Algorithm.Equal(oidAES192CBC):
		keyLen = 24
	case p.Cipher.Algorithm.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("key encryption: cipher %v is not supported; use AES-CBC", p.Cipher.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.Cipher.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("key encryption: bad AES-CBC initialisation vector")
	}
	if kdf.Iterations <= 0 || kdf.Iterations > 10_000_000 {
		return nil, fmt.Errorf("key encryption: PBKDF2 iteration count %d is out of range", kdf.Iterations)
	}
	key, err := pbkdf2.Key(prf, string(passphrase), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("key encryption: %v", err)
	}
	block, _ := aes.NewCipher(key)
	data := info.Data
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("key encryption: encrypted data is not a whole number of AES blocks")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errWrongPassphrase
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errWrongPassphrase
		}
	}
	out = out[:len(out)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(out); err != nil {
		return nil, errWrongPassphrase
	}
	return out, nil
}
