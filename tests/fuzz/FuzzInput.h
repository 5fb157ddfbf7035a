// Shared by the fuzz harnesses: the parsers read files, so each input goes to a private
// file on /dev/shm first. An elf::InputError is the parser doing its job (bad input, one
// line); any other exception escaping it is a finding, made an abort so libFuzzer keeps
// the input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "elfgen/ElfObject.h"

namespace lpb::fuzz {

// A file of this process holding `size` bytes of `data`; `tag` tells several apart.
inline std::string inputFile(const char* tag, const uint8_t* data, size_t size) {
  std::string path = "/dev/shm/lpb-fuzz-" + std::to_string(::getpid()) + "-" + tag;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Runs `body`; only elf::InputError may come out of it.
template <typename Body>
void expectOnlyInputErrors(Body&& body) {
  try {
    body();
  } catch (const elf::InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lpb-fuzz: finding: an exception that is not an input error: %s\n", e.what());
    std::abort();
  }
}

}  // namespace lpb::fuzz
