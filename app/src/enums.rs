//! `str_enum!`: enums stored as text in the database and sent as snake_case in JSON, with
//! `ALL`, `as_str` and `parse`, so that roles, kinds and states are typed everywhere.
//!
//! With the `ssr` feature they are also `sqlx` types (TEXT) for any database whose strings
//! sqlx knows: row structs hold the enum, and a value the enum does not know is a decode
//! error, never a silent default.
#[macro_export]
macro_rules! str_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::enums::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| $crate::enums::UnknownValue {
                    kind: stringify!($name),
                    value: s.chars().take(64).collect(),
                })
            }
        }

        $crate::text_sql_type!($name);
    };
}

/// Makes a type with `Display` and `FromStr` (whose error is an `std::error::Error`) a
/// `sqlx` type stored as TEXT, for any database whose strings sqlx knows. Decoding goes
/// through `FromStr`, so a stored value the type does not know is a decode error.
#[macro_export]
macro_rules! text_sql_type {
    ($name:ty) => {
        #[cfg(feature = "ssr")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(self.to_string(), buf)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

/// Serialises a type as its `Display` text and deserialises it through `FromStr`, for
/// types whose JSON form is a string with structure (such as `circular:17`).
#[macro_export]
macro_rules! text_serde {
    ($name:ty) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A stored or submitted text that names no variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.value)
    }
}

impl std::error::Error for UnknownValue {}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    crate::str_enum! {
        pub enum Colour { Red => "red", DarkBlue => "dark_blue" }
    }

    #[tokio::test]
    async fn stored_text_round_trips_and_unknown_text_is_an_error() {
        let db = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let back: Colour = sqlx::query_scalar("SELECT $1")
            .bind(Colour::DarkBlue)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(back, Colour::DarkBlue);
        let unknown: Result<Colour, _> = sqlx::query_scalar("SELECT 'purple'").fetch_one(&db).await;
        let err = unknown.unwrap_err().to_string();
        assert!(err.contains("unknown Colour \"purple\""), "{err}");
        assert_eq!("red".parse::<Colour>(), Ok(Colour::Red));
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
    }
}
