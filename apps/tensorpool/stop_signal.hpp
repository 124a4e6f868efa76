// SPDX-License-Identifier: Apache-2.0
#pragma once

// SIGINT / SIGTERM as a stop request for subcommands that run until interrupted (tap, stat, ...).

namespace tp::apps {

/// Installs SIGINT and SIGTERM handlers that set the stop flag; a second signal exits at once
/// (status 130). Also ignores SIGPIPE so that a closed output pipe is a write error, not a kill.
void install_stop_handlers();

/// True once SIGINT or SIGTERM arrived. Async-signal-safe to set; any thread may read.
[[nodiscard]] auto stop_requested() noexcept -> bool;

} // namespace tp::apps
