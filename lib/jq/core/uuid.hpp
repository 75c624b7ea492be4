#pragma once

#include <string>

namespace jq {

// A random (version 4) UUID in its canonical lower-case form, from the
// kernel's cryptographic generator (getrandom). Used as job
// correlation ids and worker lock tokens.
std::string make_uuid();

} // namespace jq
