using System.Reflection;
using Amazon.SQS;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// An <see cref="IAmazonSQS"/> in front of a real client that lets a test change chosen calls (fail some entries of a
/// batch, drop visibility changes, throttle receives) and passes every other call through.
/// </summary>
public class SqsInterceptor : DispatchProxy
{
    private IAmazonSQS _inner = null!;
    private Func<string, object?[], Func<object?>, object?>? _intercept;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="intercept"/> gets each call's method name, its arguments
    /// and a way to make the real call, and returns what the call returns.</summary>
    public static IAmazonSQS Wrap(IAmazonSQS inner, Func<string, object?[], Func<object?>, object?> intercept)
    {
        var proxy = Create<IAmazonSQS, SqsInterceptor>();
        var self = (SqsInterceptor)(object)proxy;
        self._inner = inner;
        self._intercept = intercept;
        return proxy;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        args ??= [];
        object? Real()
        {
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        return _intercept!(targetMethod.Name, args, Real);
    }
}
