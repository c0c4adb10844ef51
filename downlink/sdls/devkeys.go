package sdls

// DevKeys is the development key file flight and ground fall back to when
// no key file is configured, so the two binaries talk out of the box on a
// laptop. It is public (testdata/flight/dev.keys holds the same text): fine
// for development, never for a spacecraft. Services log a warning when
// they use it.
const DevKeys = `# Skysieve DEVELOPMENT link keys: public, never fly these.
# spi mode key
1 enc 5b1d0c7a3e9f42d18c6a0f3b27e4d95c1a8f6e2b3c7d9041e5f6a7b8c9d0e1f2
2 enc 9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a2918070f1e2d3c
`

// DevelopmentKeys parses DevKeys.
func DevelopmentKeys() (*Keys, error) { return ParseKeys("development keys", []byte(DevKeys)) }
