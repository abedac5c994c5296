package broker

// authorizer decides who may connect and what they may do.
type authorizer struct {
	anonymous bool
	users     *users // nil: no users file
	acl       *ACL   // nil: everything allowed
}

func newAuthorizer(cfg Config) (*authorizer, error) {
	a := &authorizer{anonymous: cfg.anonymousAllowed()}
	if cfg.UsersFile != "" {
		u, err := loadUsers(cfg.UsersFile)
		if err != nil {
			return nil, err
		}
		a.users = u
	}
	if cfg.ACLFile != "" {
		acl, err := LoadACL(cfg.ACLFile)
		if err != nil {
			return nil, err
		}
		a.acl = acl
	}
	return a, nil
}

// connect reports whether a client with these credentials may connect.
func (a *authorizer) connect(username, password []byte) bool {
	if len(username) == 0 {
		return a.anonymous && len(password) == 0
	}
	if a.users == nil {
		// No users file: a username is an identity for the ACL, not a
		// secret check; allowed when anonymous clients are.
		return a.anonymous
	}
	return a.users.check(string(username), password)
}

// allowed reports whether the client may write (publish) or read
// (subscribe, receive) topic.
func (a *authorizer) allowed(username []byte, clientID, topic string, write bool) bool {
	if a.acl == nil {
		return true
	}
	return a.acl.Allowed(string(username), clientID, topic, write)
}
