// SPDX-License-Identifier: Apache-2.0
#pragma once

// Conversions between the generated flyweights and the plain value types that state machines
// consume (driver_messages.hpp, control_messages.hpp). Encoders write one whole message (header
// included) into `out` and return its length, or 0 when it does not fit. Decoders read a flyweight
// the dispatcher has wrapped and validated, in schema order (groups, then var data).

#include "codec/control_messages.hpp"
#include "codec/driver_messages.hpp"
#include "tensorpool/codec/control.hpp"
#include "tensorpool/codec/driver.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace tp::codec {

// Schema 901.
auto encode(const tp::driver::AttachRequest& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::AttachResponse& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::DetachRequest& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::DetachResponse& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::Keepalive& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::LeaseRevoked& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::ShutdownNotice& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::driver::ShutdownRequest& m, std::span<std::uint8_t> out) noexcept -> std::size_t;

auto decode(driver::ShmAttachRequest& m) -> tp::driver::AttachRequest;
auto decode(driver::ShmAttachResponse& m) -> tp::driver::AttachResponse;
auto decode(driver::ShmDetachRequest& m) -> tp::driver::DetachRequest;
auto decode(driver::ShmDetachResponse& m) -> tp::driver::DetachResponse;
auto decode(driver::ShmLeaseKeepalive& m) -> tp::driver::Keepalive;
auto decode(driver::ShmLeaseRevoked& m) -> tp::driver::LeaseRevoked;
auto decode(driver::ShmDriverShutdown& m) -> tp::driver::ShutdownNotice;
auto decode(driver::ShmDriverShutdownRequest& m) -> tp::driver::ShutdownRequest;

// Schema 900 control messages.
auto encode(const tp::control::PoolAnnounce& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::control::ConsumerHello& m, std::span<std::uint8_t> out) noexcept -> std::size_t;
auto encode(const tp::control::ConsumerConfig& m, std::span<std::uint8_t> out) noexcept -> std::size_t;

auto decode(control::ShmPoolAnnounce& m) -> tp::control::PoolAnnounce;
auto decode(control::ConsumerHello& m) -> tp::control::ConsumerHello;
auto decode(control::ConsumerConfig& m) -> tp::control::ConsumerConfig;

/// A driver PoolAnnounce as the wire message (clock domain MONOTONIC, layout version 1, D-32).
auto to_control(const tp::driver::PoolAnnounce& a) -> tp::control::PoolAnnounce;

} // namespace tp::codec
