namespace Messaging.Adapters.Tests.Consuming;

public sealed class RetryPolicyTests
{
    [Fact]
    public void Default_policy_retries_twice_at_once_then_waits_one_then_two_seconds_then_gives_up()
    {
        var policy = RetryPolicy.Default;

        Assert.Equal(TimeSpan.Zero, policy.DelayBefore(2));
        Assert.Equal(TimeSpan.Zero, policy.DelayBefore(3));
        Assert.Equal(TimeSpan.FromSeconds(1), policy.DelayBefore(4));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayBefore(5));
        Assert.Null(policy.DelayBefore(6));
    }

    [Fact]
    public void Delayed_retries_grow_by_the_multiplier_and_stop_growing_at_MaxDelay()
    {
        var policy = new RetryPolicy
        {
            MaxAttempts = 8,
            ImmediateRetries = 1,
            InitialDelay = TimeSpan.FromMilliseconds(100),
            BackoffMultiplier = 3,
            MaxDelay = TimeSpan.FromSeconds(1),
        };

        TimeSpan?[] delays = [.. Enumerable.Range(2, 8).Select(policy.DelayBefore)];

        Assert.Equal(
            [
                TimeSpan.Zero,                      // attempt 2: the one immediate retry
                TimeSpan.FromMilliseconds(100),     // attempt 3: InitialDelay
                TimeSpan.FromMilliseconds(300),     // attempt 4: × 3
                TimeSpan.FromMilliseconds(900),     // attempt 5: × 9
                TimeSpan.FromSeconds(1),            // attempt 6: 2.7 s capped
                TimeSpan.FromSeconds(1),            // attempt 7: capped
                TimeSpan.FromSeconds(1),            // attempt 8: capped, the last one
                null,                               // attempt 9 does not exist
            ],
            delays);
    }

    [Fact]
    public void A_multiplier_of_one_keeps_every_delayed_retry_at_the_initial_delay()
    {
        var policy = new RetryPolicy { MaxAttempts = 5, ImmediateRetries = 0, InitialDelay = TimeSpan.FromSeconds(7), BackoffMultiplier = 1 };

        Assert.All(Enumerable.Range(2, 4), attempt => Assert.Equal(TimeSpan.FromSeconds(7), policy.DelayBefore(attempt)));
    }

    [Fact]
    public void Backoff_that_overflows_a_double_is_still_capped_at_MaxDelay()
    {
        var policy = new RetryPolicy
        {
            MaxAttempts = 1000,
            ImmediateRetries = 0,
            InitialDelay = TimeSpan.FromDays(1),
            BackoffMultiplier = 100,
            MaxDelay = TimeSpan.FromHours(3),
        };

        Assert.Equal(TimeSpan.FromHours(3), policy.DelayBefore(1000));
    }

    [Fact]
    public void An_initial_delay_over_MaxDelay_is_capped_from_the_first_delayed_retry()
    {
        var policy = new RetryPolicy { MaxAttempts = 3, ImmediateRetries = 0, InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromMinutes(1) };

        Assert.Equal(TimeSpan.FromMinutes(1), policy.DelayBefore(2));
    }

    [Fact]
    public void Immediate_retries_beyond_MaxAttempts_never_give_more_attempts()
    {
        var policy = new RetryPolicy { MaxAttempts = 3, ImmediateRetries = 10 };

        Assert.Equal(TimeSpan.Zero, policy.DelayBefore(2));
        Assert.Equal(TimeSpan.Zero, policy.DelayBefore(3));
        Assert.Null(policy.DelayBefore(4));
    }

    [Fact]
    public void None_has_no_retry_at_all()
    {
        Assert.Null(RetryPolicy.None.DelayBefore(2));
        Assert.Empty(RetryPolicy.None.FindProblems(""));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-5)]
    public void DelayBefore_rejects_attempts_that_cannot_follow_a_failure(int nextAttempt)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => RetryPolicy.Default.DelayBefore(nextAttempt));

        Assert.Equal("nextAttempt", ex.ParamName);
    }

    [Fact]
    public void Validate_names_the_property_the_range_and_the_bad_value()
    {
        var policy = new RetryPolicy { MaxAttempts = 0 };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(policy.Validate);

        Assert.Equal(nameof(RetryPolicy.MaxAttempts), ex.ParamName);
        Assert.Contains("RetryPolicy.MaxAttempts must be 1..1000, was 0.", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<RetryPolicy, string> OutOfRangePolicies => new()
    {
        { new RetryPolicy { MaxAttempts = 0 }, "Messaging:Retry:MaxAttempts must be 1..1000, was 0." },
        { new RetryPolicy { MaxAttempts = 1001 }, "Messaging:Retry:MaxAttempts must be 1..1000, was 1001." },
        { new RetryPolicy { ImmediateRetries = -1 }, "Messaging:Retry:ImmediateRetries must be 0..100, was -1." },
        { new RetryPolicy { ImmediateRetries = 101 }, "Messaging:Retry:ImmediateRetries must be 0..100, was 101." },
        { new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(-1) }, "Messaging:Retry:InitialDelay must be 00:00:00..1.00:00:00, was -00:00:01." },
        { new RetryPolicy { InitialDelay = TimeSpan.FromDays(1) + TimeSpan.FromTicks(1) }, "Messaging:Retry:InitialDelay must be 00:00:00..1.00:00:00" },
        { new RetryPolicy { BackoffMultiplier = 0.5 }, "Messaging:Retry:BackoffMultiplier must be 1..100, was 0.5." },
        { new RetryPolicy { BackoffMultiplier = 101 }, "Messaging:Retry:BackoffMultiplier must be 1..100, was 101." },
        { new RetryPolicy { BackoffMultiplier = double.NaN }, "Messaging:Retry:BackoffMultiplier must be 1..100" },
        { new RetryPolicy { MaxDelay = TimeSpan.FromMinutes(-1) }, "Messaging:Retry:MaxDelay must be 00:00:00..1.00:00:00, was -00:01:00." },
        { new RetryPolicy { MaxDelay = TimeSpan.FromDays(2) }, "Messaging:Retry:MaxDelay must be 00:00:00..1.00:00:00, was 2.00:00:00." },
    };

    [Theory]
    [MemberData(nameof(OutOfRangePolicies))]
    public void FindProblems_reports_each_out_of_range_value_with_the_key_prefix_and_the_range(RetryPolicy policy, string expected)
    {
        var problems = policy.FindProblems("Messaging:Retry:");

        var problem = Assert.Single(problems);
        Assert.StartsWith(expected, problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("Messaging:Retry:" + problem.Name + " ", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindProblems_lists_every_problem_not_only_the_first()
    {
        var policy = new RetryPolicy { MaxAttempts = 0, ImmediateRetries = -1, BackoffMultiplier = 0 };

        var names = policy.FindProblems("").Select(p => p.Name).ToArray();

        Assert.Equal([nameof(RetryPolicy.MaxAttempts), nameof(RetryPolicy.ImmediateRetries), nameof(RetryPolicy.BackoffMultiplier)], names);
    }

    [Fact]
    public void The_edges_of_every_range_are_valid()
    {
        var lowest = new RetryPolicy { MaxAttempts = 1, ImmediateRetries = 0, InitialDelay = TimeSpan.Zero, BackoffMultiplier = 1, MaxDelay = TimeSpan.Zero };
        var highest = new RetryPolicy { MaxAttempts = 1000, ImmediateRetries = 100, InitialDelay = TimeSpan.FromDays(1), BackoffMultiplier = 100, MaxDelay = TimeSpan.FromDays(1) };

        Assert.Empty(lowest.FindProblems(""));
        Assert.Empty(highest.FindProblems(""));
        lowest.Validate();
        highest.Validate();
    }
}
