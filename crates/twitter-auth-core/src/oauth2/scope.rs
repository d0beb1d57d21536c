//! X's OAuth 2.0 scopes ([X: Authorization Code with PKCE](https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code)) and the space-separated set the protocol carries.

use core::convert::Infallible;
use core::fmt;
use core::str::FromStr;
use std::collections::BTreeSet;

macro_rules! scopes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// One OAuth 2.0 scope.
        ///
        /// The 22 scopes of X's docs, the three more of X's OpenAPI spec (`broadcast.read`,
        /// `broadcast.write`, `timeline.read`), and [`Other`](Self::Other) for anything else
        /// (e.g. the Ads API's `ads.read`). Parsing never fails: unknown names become `Other`.
        ///
        /// The order (`Ord`) is the order of this list, then `Other` by name; [`Scopes`] renders
        /// in that order.
        ///
        /// Non-exhaustive: scopes X adds later become variants (and stop parsing as `Other`).
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Scope {
            $($(#[$doc])* $variant,)*
            /// A scope this crate does not name. Build it with [`Scope::parse`] (which maps
            /// known names to their variants) rather than directly.
            Other(String),
        }

        impl Scope {
            /// The scope's name on the wire, e.g. `tweet.read`.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Other(name) => name,
                }
            }

            /// The scope named `name` (exact, case-sensitive match); unknown names become
            /// [`Other`](Self::Other).
            #[must_use]
            pub fn parse(name: &str) -> Self {
                match name {
                    $($name => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

scopes! {
    /// `tweet.read`: read posts, including those of protected accounts the user follows.
    TweetRead => "tweet.read",
    /// `tweet.write`: post and repost for the user.
    TweetWrite => "tweet.write",
    /// `tweet.moderate.write`: hide and unhide replies to the user's posts.
    TweetModerateWrite => "tweet.moderate.write",
    /// `users.email`: the user's email address.
    UsersEmail => "users.email",
    /// `users.read`: any account the user can see (needed, with `tweet.read`, by `/2/users/me`).
    UsersRead => "users.read",
    /// `follows.read`: who the user follows and who follows them.
    FollowsRead => "follows.read",
    /// `follows.write`: follow and unfollow for the user.
    FollowsWrite => "follows.write",
    /// `offline.access`: a refresh token is issued with the access token.
    OfflineAccess => "offline.access",
    /// `space.read`: Spaces the user can see.
    SpaceRead => "space.read",
    /// `mute.read`: accounts the user muted.
    MuteRead => "mute.read",
    /// `mute.write`: mute and unmute for the user.
    MuteWrite => "mute.write",
    /// `like.read`: posts the user liked and who liked theirs.
    LikeRead => "like.read",
    /// `like.write`: like and unlike for the user.
    LikeWrite => "like.write",
    /// `list.read`: lists the user can see.
    ListRead => "list.read",
    /// `list.write`: create and manage lists for the user.
    ListWrite => "list.write",
    /// `block.read`: accounts the user blocked.
    BlockRead => "block.read",
    /// `block.write`: block and unblock for the user.
    BlockWrite => "block.write",
    /// `bookmark.read`: the user's bookmarks.
    BookmarkRead => "bookmark.read",
    /// `bookmark.write`: bookmark and remove bookmarks for the user.
    BookmarkWrite => "bookmark.write",
    /// `dm.read`: the user's direct messages.
    DmRead => "dm.read",
    /// `dm.write`: send direct messages for the user.
    DmWrite => "dm.write",
    /// `media.write`: upload media for the user.
    MediaWrite => "media.write",
    /// `broadcast.read` (X's OpenAPI spec; not in the prose docs).
    BroadcastRead => "broadcast.read",
    /// `broadcast.write` (X's OpenAPI spec; not in the prose docs).
    BroadcastWrite => "broadcast.write",
    /// `timeline.read` (X's OpenAPI spec; not in the prose docs).
    TimelineRead => "timeline.read",
}

impl Scope {
    /// Every scope this crate names, in order (without [`Other`](Self::Other)).
    pub const KNOWN: [Self; 25] = [
        Self::TweetRead,
        Self::TweetWrite,
        Self::TweetModerateWrite,
        Self::UsersEmail,
        Self::UsersRead,
        Self::FollowsRead,
        Self::FollowsWrite,
        Self::OfflineAccess,
        Self::SpaceRead,
        Self::MuteRead,
        Self::MuteWrite,
        Self::LikeRead,
        Self::LikeWrite,
        Self::ListRead,
        Self::ListWrite,
        Self::BlockRead,
        Self::BlockWrite,
        Self::BookmarkRead,
        Self::BookmarkWrite,
        Self::DmRead,
        Self::DmWrite,
        Self::MediaWrite,
        Self::BroadcastRead,
        Self::BroadcastWrite,
        Self::TimelineRead,
    ];
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl From<&str> for Scope {
    fn from(name: &str) -> Self {
        Self::parse(name)
    }
}

impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Self::parse(&name))
    }
}

/// A set of scopes, as the `scope` parameter carries it: names separated by spaces.
///
/// Parsing never fails: names are split on any whitespace, empty names are skipped, duplicates
/// collapse, unknown names become [`Scope::Other`]. Iteration and [`Display`](fmt::Display)
/// follow [`Scope`]'s order, so two sets with the same members are equal and render the same
/// whatever order X lists them in. Serde reads and writes the space-separated string.
///
/// ```
/// use twitter_auth_core::oauth2::{Scope, Scopes};
///
/// let granted = Scopes::parse("users.read  tweet.read ads.read");
/// assert!(granted.contains(&Scope::TweetRead));
/// assert!(granted.contains(&Scope::parse("ads.read")));
/// assert_eq!(granted.to_string(), "tweet.read users.read ads.read");
/// assert_eq!(granted, [Scope::UsersRead, Scope::TweetRead, Scope::parse("ads.read")].into_iter().collect());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// No scopes.
    #[must_use]
    pub const fn new() -> Self {
        Self(BTreeSet::new())
    }

    /// Parses a space-separated list (total: see the type's docs).
    #[must_use]
    pub fn parse(list: &str) -> Self {
        let mut scopes = Self::new();
        scopes.insert_names(list);
        scopes
    }

    /// Adds a scope. An [`Other`](Scope::Other) that names a known scope is stored as that
    /// scope, and one that holds whitespace is split into its names, so the set always renders
    /// and parses back to itself.
    pub fn insert(&mut self, scope: Scope) {
        match scope {
            Scope::Other(names) => self.insert_names(&names),
            known => {
                self.0.insert(known);
            }
        }
    }

    fn insert_names(&mut self, names: &str) {
        for name in names.split_whitespace() {
            self.0.insert(Scope::parse(name));
        }
    }

    /// Whether `scope` is in the set.
    #[must_use]
    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.contains(scope)
    }

    /// Whether every scope of `self` is in `other` (e.g. requested ⊆ granted).
    #[must_use]
    pub fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Scope> {
        self.0.iter()
    }

    /// How many scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Scopes {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut scopes = Self::new();
        scopes.extend(iter);
        scopes
    }
}

impl Extend<Scope> for Scopes {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, iter: I) {
        for scope in iter {
            self.insert(scope);
        }
    }
}

impl<const N: usize> From<[Scope; N]> for Scopes {
    fn from(scopes: [Scope; N]) -> Self {
        scopes.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Scopes {
    type Item = &'a Scope;
    type IntoIter = std::collections::btree_set::Iter<'a, Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = String::deserialize(deserializer)?;
        Ok(Self::parse(&list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_scope_round_trips_by_name() {
        for scope in Scope::KNOWN {
            assert_eq!(Scope::parse(scope.as_str()), scope);
            assert!(!matches!(Scope::parse(scope.as_str()), Scope::Other(_)));
        }
        assert_eq!(
            Scope::parse("Tweet.Read"),
            Scope::Other("Tweet.Read".into())
        );
    }

    #[test]
    fn other_is_normalized_on_insert() {
        let mut s = Scopes::new();
        s.insert(Scope::Other("tweet.read  ads.read".into()));
        s.insert(Scope::Other(String::new()));
        assert_eq!(s.to_string(), "tweet.read ads.read");
        assert_eq!(Scopes::parse(&s.to_string()), s);
    }
}
