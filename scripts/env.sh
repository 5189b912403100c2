# Sourced by the scripts: where the build tools live and how to reach them.
# SAR_TOOLS outlives any clone of the repository, so tools are built once per machine.
export SAR_TOOLS="${SAR_TOOLS:-$HOME/.local/share/share-a-recording/tools}"
case ":$PATH:" in
  *":$SAR_TOOLS/bin:"*) ;;
  *) export PATH="$SAR_TOOLS/bin:$SAR_TOOLS/npm/node_modules/.bin:$PATH" ;;
esac
