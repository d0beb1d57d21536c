//! The Lua scripts: each runs atomically on the server, touching one user's keys (one slot).

use std::sync::OnceLock;

use redis::Script;

/// What `load` returns: the grant's and the salvage place's sealed values.
pub(crate) type Raw = (Option<Vec<u8>>, Option<Vec<u8>>);

macro_rules! script {
    ($name:ident, $doc:literal, $source:literal) => {
        #[doc = $doc]
        pub(crate) fn $name() -> &'static Script {
            static SCRIPT: OnceLock<Script> = OnceLock::new();
            SCRIPT.get_or_init(|| Script::new($source))
        }
    };
}

script!(
    lease,
    "KEYS lease, fence; ARGV ttl ms. The new fence, or 0 if the lease is held.",
    r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return fence
"
);

script!(
    release,
    "KEYS lease; ARGV fence. Deletes the lease only if it is still this fence's.",
    r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"
);

script!(
    load,
    "KEYS grant, salvage. Both sealed values (or nil).",
    r"
return {redis.call('HGET', KEYS[1], 'v'), redis.call('HGET', KEYS[2], 'v')}
"
);

script!(
    save,
    "KEYS lease, grant, salvage, index; ARGV fence, expected generation ('' = none), \
     generation, value, member, score ('' = not indexed). 1 if written, 0 if fenced out.",
    r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local current = redis.call('HGET', KEYS[2], 'g')
if current == false then current = '' end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'g', ARGV[3], 'v', ARGV[4])
if ARGV[6] == '' then
  redis.call('ZREM', KEYS[4], ARGV[5])
else
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[5])
end
local salvaged = redis.call('HGET', KEYS[3], 'g')
if salvaged and tonumber(salvaged) <= tonumber(ARGV[3]) then redis.call('DEL', KEYS[3]) end
return 1
"
);

script!(
    salvage,
    "KEYS salvage; ARGV generation, value. Keeps the newer of the two sets.",
    r"
local salvaged = redis.call('HGET', KEYS[1], 'g')
if salvaged and tonumber(salvaged) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'g', ARGV[1], 'v', ARGV[2])
return 1
"
);

script!(
    delete,
    "KEYS lease, grant, salvage, index; ARGV fence, expected generation, member. 1 if \
     deleted, 0 if fenced out.",
    r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[2], 'g') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[3])
return 1
"
);

/// Whether saves wait with `WAITAOF` (2) or not (1), from `INFO persistence` and
/// `INFO server`: only where AOF is on and the server is 7.2 or later.
pub(crate) fn waitaof_mode_from(persistence: &str, server: &str) -> u8 {
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let aof = field(persistence, "aof_enabled:").is_some_and(|v| v == "1");
    let version = field(server, "redis_version:").unwrap_or_default();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if aof && (major, minor) >= (7, 2) {
        2
    } else {
        1
    }
}

/// [`waitaof_mode_from`] on a blocking connection (asks for `INFO server` itself).
pub(crate) fn waitaof_mode(persistence: &str, conn: &mut redis::Connection) -> u8 {
    let server: String = redis::cmd("INFO")
        .arg("server")
        .query(conn)
        .unwrap_or_default();
    waitaof_mode_from(persistence, &server)
}

#[cfg(test)]
mod tests {
    use super::waitaof_mode_from;

    #[test]
    fn waitaof_only_with_aof_on_7_2_or_later() {
        let on = "# Persistence\r\naof_enabled:1\r\n";
        let off = "# Persistence\r\naof_enabled:0\r\n";
        assert_eq!(waitaof_mode_from(on, "redis_version:7.2.4\r\n"), 2);
        assert_eq!(waitaof_mode_from(on, "redis_version:8.0.0\r\n"), 2);
        assert_eq!(waitaof_mode_from(on, "redis_version:7.0.15\r\n"), 1);
        assert_eq!(waitaof_mode_from(off, "redis_version:7.4.0\r\n"), 1);
        assert_eq!(waitaof_mode_from("", ""), 1);
    }
}
