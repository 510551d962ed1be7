namespace Gateway.Seed;

/// <summary>What kind of mail a planned message is.</summary>
internal enum MessageKind : byte
{
    /// <summary>Person-to-person mail; may start or continue a thread.</summary>
    Conversation,

    /// <summary>Bulk mail from a list or a bot; never threaded.</summary>
    Newsletter,
}

/// <summary>A correspondent: display name (possibly empty), ASCII address and the language they write in.</summary>
internal sealed record Person(string DisplayName, string FirstName, string Address, Language Language);

/// <summary>One planned message. Planning is sequential and cheap; rendering reads plans only, so it runs in parallel.</summary>
internal readonly record struct PlannedMessage(
    long ArrivalUnixSeconds,
    MessageKind Kind,
    Language Language,
    int Sender,
    int Parent,
    int Root,
    int Depth);

/// <summary>
/// Decides, in arrival order, who sends each message, when it arrives and which thread it continues, so that
/// Message-ID/In-Reply-To/References chains are consistent however the messages are rendered later.
/// </summary>
internal static class MessagePlanner
{
    private const int OpenThreadLimit = 24;
    private const int MaxThreadDepth = 8;

    public static Person[] CreatePeople(int seed, int count)
    {
        var random = new Random(SeedMath.Mix(seed, -1, 11));
        var people = new Person[count];
        for (var i = 0; i < count; i++)
        {
            var language = SampleData.LanguageWeights[random.Next(SampleData.LanguageWeights.Length)];
            var firsts = SampleData.FirstNames(language);
            var lasts = SampleData.LastNames(language);
            var first = firsts[random.Next(firsts.Length)];
            var last = lasts[random.Next(lasts.Length)];
            var domains = SampleData.Domains(language);
            var domain = domains[random.Next(domains.Length)];
            var local = random.Next(3) switch
            {
                0 => $"{first.Ascii}.{last.Ascii}",
                1 => $"{first.Ascii[0]}{last.Ascii}",
                _ => $"{first.Ascii}{random.Next(10, 99)}",
            };
            var display = language switch
            {
                Language.Japanese => $"{last.Display} {first.Display}",
                Language.Chinese => $"{last.Display}{first.Display}",
                _ => $"{first.Display} {last.Display}",
            };

            // Some people send without a display name at all.
            if (random.Next(10) == 0)
            {
                display = string.Empty;
            }

            people[i] = new Person(display, first.Display, $"{local}@{domain}", language);
        }

        return people;
    }

    public static PlannedMessage[] Plan(int seed, int count, IReadOnlyList<Person> people, DateTimeOffset start, DateTimeOffset end)
    {
        var random = new Random(SeedMath.Mix(seed, -1, 12));
        var plans = new PlannedMessage[count];
        var gaps = ArrivalGaps(random, count, (end - start).TotalSeconds);
        var arrival = start.ToUnixTimeSeconds();
        var openThreads = new List<int>(OpenThreadLimit + 1);

        for (var i = 0; i < count; i++)
        {
            arrival += gaps[i];

            var roll = random.NextDouble();
            if (roll < 0.10)
            {
                plans[i] = new PlannedMessage(arrival, MessageKind.Newsletter, Language.English,
                    random.Next(SampleData.Newsletters.Length), -1, i, 0);
                continue;
            }

            if (roll < 0.45 && openThreads.Count > 0)
            {
                // Reply to one of the most recently active threads, mostly from the thread's author.
                var slot = openThreads.Count - 1 - random.Next(Math.Min(openThreads.Count, 8));
                var parentIndex = openThreads[slot];
                var parent = plans[parentIndex];
                var root = plans[parent.Root];
                var sender = random.Next(5) < 3 ? root.Sender : random.Next(people.Count);
                plans[i] = new PlannedMessage(arrival, MessageKind.Conversation, root.Language, sender, parentIndex, parent.Root, parent.Depth + 1);
                openThreads.RemoveAt(slot);
                if (parent.Depth + 1 < MaxThreadDepth)
                {
                    openThreads.Add(i);
                }

                continue;
            }

            var author = random.Next(people.Count);
            plans[i] = new PlannedMessage(arrival, MessageKind.Conversation, people[author].Language, author, -1, i, 0);
            openThreads.Add(i);
            if (openThreads.Count > OpenThreadLimit)
            {
                openThreads.RemoveAt(0);
            }
        }

        return plans;
    }

    /// <summary>
    /// Exponential gaps (bursts and quiet spells) scaled so the last message arrives near the end of the range;
    /// every gap is at least one second, so arrival order, file name order and UID order agree.
    /// </summary>
    private static long[] ArrivalGaps(Random random, int count, double rangeSeconds)
    {
        var raw = new double[count];
        var sum = 0.0;
        for (var i = 0; i < count; i++)
        {
            raw[i] = -Math.Log(1.0 - random.NextDouble());
            sum += raw[i];
        }

        var scale = sum > 0 ? rangeSeconds / sum : 0;
        return Array.ConvertAll(raw, gap => Math.Max(1L, (long)(gap * scale)));
    }
}

/// <summary>Deterministic seed derivation (HashCode is randomised per process, so it cannot be used).</summary>
internal static class SeedMath
{
    public static int Mix(int seed, int index, int salt)
    {
        var x = ((ulong)(uint)seed << 32) ^ (uint)index ^ ((ulong)(uint)salt * 0x9E3779B97F4A7C15UL);
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x & 0x7FFFFFFF);
    }
}
