// Test certificates, made fresh in each test's temp dir with the openssl CLI (no private key is
// checked in): a CA, a server certificate for 127.0.0.1 and localhost signed by it, client
// certificates whose common name (and DNS subjectAltName) names a crab, and a second CA whose
// certificates the hub must refuse.
#pragma once

#include <filesystem>
#include <string>

namespace octopus::test {

struct CertFiles {
    std::filesystem::path cert;
    std::filesystem::path key;
};

class TestPki {
  public:
    // Creates <dir>/ca.pem and <dir>/ca.key (CA `name`).
    TestPki(std::filesystem::path dir, const std::string& name = "octopus-test-ca");
    std::filesystem::path ca() const { return dir_ / (name_ + ".pem"); }
    // A server certificate for 127.0.0.1 and localhost, in <dir>/<file>.pem and .key.
    CertFiles server(const std::string& file) const;
    // A client certificate with CN=crab and subjectAltName DNS:crab.
    CertFiles client(const std::string& crab) const;

  private:
    CertFiles issue(const std::string& file, const std::string& cn, const std::string& san,
                    const std::string& usage) const;
    std::filesystem::path dir_;
    std::string name_;
};

}  // namespace octopus::test
