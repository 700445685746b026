package web

import (
	"fmt"
	"net"
	"strconv"
)

// Config holds the settings found under `adapters.web:` in the YAML
// configuration.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Listen is the address the chat page is served on. Loopback by
	// default: only this machine can reach it.
	Listen string `yaml:"listen"`
}

// DefaultConfig returns the settings used for every field the YAML leaves
// out.
//
//	enabled: false
//	listen:  127.0.0.1:8080
func DefaultConfig() Config { return Config{Listen: "127.0.0.1:8080"} }

// Problem is one unusable setting: the field's name as written under
// `adapters.web:` and what is wrong with it.
type Problem struct {
	Field, Msg string
}

// Problems lists every setting the adapter cannot work with. A disabled
// adapter has no problems.
func (c Config) Problems() []Problem {
	if !c.Enabled {
		return nil
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return []Problem{{"listen", fmt.Sprintf("%q is not host:port, like 127.0.0.1:8080: %v", c.Listen, err)}}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return []Problem{{"listen", fmt.Sprintf("%q has no port number from 0 to 65535", c.Listen)}}
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return []Problem{{"listen", fmt.Sprintf("%q: the host must be an IP address, localhost, or empty for every interface", c.Listen)}}
	}
	return nil
}

// Loopback reports whether addr (host:port) only accepts connections from
// this machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
