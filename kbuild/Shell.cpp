#include "kbuild/Shell.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

extern char** environ;

namespace lpb::kbuild {

std::vector<std::string> splitShellSteps(std::string_view line) {
  std::vector<std::string> steps;
  std::string cur;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      cur += c;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += c;
      cur += line[++i];
    } else if (c == ';') {
      steps.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  steps.push_back(cur);
  std::vector<std::string> out;
  for (auto& s : steps) {
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(s.substr(b, e - b + 1));
  }
  return out;
}

std::vector<std::string> splitShellWords(std::string_view step) {
  std::vector<std::string> words;
  std::string cur;
  bool inWord = false;
  for (size_t i = 0; i < step.size(); ++i) {
    char c = step[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (inWord) words.push_back(cur), cur.clear(), inWord = false;
      continue;
    }
    inWord = true;
    if (c == '\'') {
      size_t end = step.find('\'', i + 1);
      if (end == std::string_view::npos) end = step.size();
      cur.append(step.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i; i < step.size() && step[i] != '"'; ++i) {
        if (step[i] == '\\' && i + 1 < step.size() && std::strchr("\"\\$`", step[i + 1])) ++i;
        cur += step[i];
      }
    } else if (c == '\\' && i + 1 < step.size()) {
      cur += step[++i];
    } else {
      cur += c;
    }
  }
  if (inWord) words.push_back(cur);
  return words;
}

namespace {

struct Running {
  pid_t pid = -1;
  int outFd = -1;
};

Running start(const std::vector<std::string>& argv, const ProcessOptions& o) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  int pipefd[2] = {-1, -1};
  if (o.capture) {
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  }
  posix_spawn_file_actions_addopen(&fa, 0, o.stdinFile.empty() ? "/dev/null" : o.stdinFile.c_str(), O_RDONLY, 0);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());

  std::vector<std::string> envStore;
  for (char** e = environ; *e; ++e) envStore.emplace_back(*e);
  for (const auto& kv : o.env) {
    std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(envStore, [&](const std::string& s) { return s.starts_with(key); });
    envStore.push_back(kv);
  }
  std::vector<char*> envp, args;
  for (auto& s : envStore) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argStore(argv);
  for (auto& s : argStore) args.push_back(s.data());
  args.push_back(nullptr);

  Running r;
  int err = posix_spawnp(&r.pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (o.capture) ::close(pipefd[1]);
  if (err != 0) {
    if (o.capture) ::close(pipefd[0]);
    r.pid = -1;
    errno = err;
    return r;
  }
  r.outFd = o.capture ? pipefd[0] : -1;
  return r;
}

}  // namespace

std::vector<ProcessResult> runParallel(const std::vector<std::vector<std::string>>& argvs,
                                       const std::vector<ProcessOptions>& opts, unsigned jobs) {
  std::vector<ProcessResult> results(argvs.size());
  std::map<pid_t, size_t> running;
  std::map<int, size_t> readers;
  size_t next = 0;
  if (jobs == 0) jobs = 1;
  auto launch = [&] {
    while (next < argvs.size() && running.size() < jobs) {
      size_t i = next++;
      Running r = start(argvs[i], opts[i]);
      if (r.pid < 0) {
        results[i].status = 127;
        results[i].output = argvs[i][0] + ": " + std::strerror(errno);
        continue;
      }
      running[r.pid] = i;
      if (r.outFd >= 0) readers[r.outFd] = i;
    }
  };
  launch();
  while (!running.empty()) {
    // Drain output pipes so that a chatty child never blocks on a full pipe.
    while (!readers.empty()) {
      fd_set set;
      FD_ZERO(&set);
      int maxfd = -1;
      for (auto& [fd, i] : readers) FD_SET(fd, &set), maxfd = std::max(maxfd, fd);
      if (::select(maxfd + 1, &set, nullptr, nullptr, nullptr) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      bool closedOne = false;
      for (auto it = readers.begin(); it != readers.end();) {
        if (!FD_ISSET(it->first, &set)) { ++it; continue; }
        char buf[65536];
        ssize_t n = ::read(it->first, buf, sizeof buf);
        if (n > 0) {
          results[it->second].output.append(buf, size_t(n));
          ++it;
        } else if (n < 0 && errno == EINTR) {
          ++it;
        } else {
          ::close(it->first);
          it = readers.erase(it);
          closedOne = true;
        }
      }
      if (closedOne) break;
    }
    // Reap only our own children: other threads of lp-build run processes at the same
    // time (the compiles beside the kernel profile and the link recipe), and a wait for
    // any child would take their exit statuses.
    auto reap = [&](std::map<pid_t, size_t>::iterator it, int flags) {
      int st = 0;
      pid_t pid = ::waitpid(it->first, &st, flags);
      if (pid == it->first) {
        results[it->second].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return running.erase(it);
      }
      if (pid < 0 && errno != EINTR) return running.erase(it);  // not ours after all: status stays -1
      return std::next(it);
    };
    size_t before = running.size();
    for (auto it = running.begin(); it != running.end();) it = reap(it, WNOHANG);
    // Nothing left to read and nobody finished: block on one of ours.
    if (running.size() == before && readers.empty() && !running.empty()) reap(running.begin(), 0);
    if (running.size() != before) launch();
  }
  for (auto& [fd, i] : readers) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) results[i].output.append(buf, size_t(n));
    ::close(fd);
  }
  return results;
}

ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& opts) {
  return runParallel({argv}, {opts}, 1).at(0);
}

std::string firstErrorLine(const std::string& text) {
  size_t pos = 0;
  std::string first;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    bool makeChatter = line.starts_with("make") || line.starts_with("  ");
    if (first.empty() && !line.empty() && !makeChatter) first = line;
    if (makeChatter) {
      // make's own "Entering directory" and "*** Error" lines say nothing about the cause.
    } else if (line.starts_with("ld: ") || line.find("ERROR") != std::string::npos) {
      return line;
    } else if (line.find("error") != std::string::npos || line.find("FAILED") != std::string::npos ||
        line.find("malformed") != std::string::npos || line.find("Hunk") != std::string::npos)
      return line;
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return first.empty() ? text.substr(0, text.find('\n')) : first;
}


std::string findProgram(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    size_t colon = std::min(dirs.find(':'), dirs.size());
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs.remove_prefix(std::min(colon + 1, dirs.size()));
  }
  return {};
}

}  // namespace lpb::kbuild
