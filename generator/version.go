package generator

// Version is omnistack's version, recorded in every manifest. Release builds
// set it with -ldflags "-X github.com/omnistack/omnistack/generator.Version=v1.2.3".
var Version = "v0.1.0-dev"
