#ifndef APIKIT_EVENTS_HPP
#define APIKIT_EVENTS_HPP

// apikit::events: event envelopes (`{"id":"evt_…","type":"user.created",
// "timestamp":…,"data":{…},"metadata":{…}}`) with typed data, type names
// checked at compile time, their CloudEvents 1.0 JSON form, and the bus they
// travel on. No Beast, no Asio: the Redis Streams bus is in
// <apikit/events/redis_bus.hpp>, included on its own.

#include <apikit/events/any_bus.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/cloudevents.hpp>
#include <apikit/events/error.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/memory_bus.hpp>
#include <apikit/events/type_name.hpp>

#endif
