# Sourced by the README's two commands and tools/setup.sh: how to run a
# command as root here. Root needs nothing (containers and router images
# often have no sudo); anyone else needs sudo.

# root_prefix WHO: prints the prefix that runs a command as root ("" for
# root, "sudo" otherwise). Without root or sudo, says so on stderr (naming
# WHO, the calling script) and returns 1.
root_prefix() {
  if [ "$(id -u)" = 0 ]; then
    return 0
  fi
  if command -v sudo >/dev/null 2>&1; then
    echo sudo
    return 0
  fi
  echo "$1: needs root: run it as root, or install sudo and run it as a user who may use it" >&2
  return 1
}
